package hacf

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LocalNode returns this node's cluster name (COMPAT §2.6): the first line
// of DIR/nodeinfo when that line ends with a newline and is not empty, else
// uname -n; lower-cased either way.
func LocalNode(dir string, uname func() (string, error)) (string, error) {
	path := filepath.Join(dir, "nodeinfo")
	f, err := os.Open(path)
	switch {
	case err == nil:
		defer f.Close()
		line, rerr := bufio.NewReader(f).ReadString('\n')
		if rerr == nil && line != "\n" {
			return lower(strings.TrimSuffix(line, "\n")), nil
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
