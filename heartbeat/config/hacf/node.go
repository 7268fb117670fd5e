package hacf

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"hbgo/internal/cfgfile"
)

// LocalNode returns this node's cluster name (COMPAT §2.6): the first line
// of DIR/nodeinfo when that line ends with a newline and is not empty, else
// uname -n; lower-cased either way.
func LocalNode(dir string, uname func() (string, error)) (string, error) {
	path := filepath.Join(dir, "nodeinfo")
	b, _, err := cfgfile.Read(path) // never hangs on a FIFO, nor reads /dev/zero
	switch {
	case err == nil:
		line, _, nl := strings.Cut(string(b), "\n")
		if nl && line != "" {
			return lower(line), nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("local node name: %w", err)
	}
	n, err := uname()
	if err != nil {
		return "", fmt.Errorf("local node name: uname: %w", err)
	}
	if n == "" {
		return "", errors.New("local node name: uname -n is empty")
	}
	return lower(n), nil
}
