package daemon

import (
	"reflect"
	"testing"

	"hbgo/heartbeat/config/hacf"
)

// TestRestartOnlyCoversEveryField: restartOnly names the hbgo.cf settings
// a reload cannot apply from a hand-written list; a directive added to
// hacf.HbgoConfig and not to that list would change on disk, be ignored by
// the running daemon and never be warned about. Every field but File
// (where it was read) and Watch (applied at once) must make it speak.
func TestRestartOnlyCoversEveryField(t *testing.T) {
	typ := reflect.TypeOf(hacf.HbgoConfig{})
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Name == "File" || f.Name == "Watch" {
			continue
		}
		old, nw := hacf.DefaultHbgo(), hacf.DefaultHbgo()
		v := reflect.ValueOf(nw).Elem().Field(i)
		switch v.Kind() {
		case reflect.String:
			v.SetString(v.String() + "x")
		case reflect.Bool:
			v.SetBool(!v.Bool())
		case reflect.Int, reflect.Int64:
			v.SetInt(v.Int() + 1)
		case reflect.Slice:
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
		case reflect.Map:
			m := reflect.MakeMap(v.Type())
			m.SetMapIndex(reflect.Zero(v.Type().Key()), reflect.Zero(v.Type().Elem()))
			v.Set(m)
		default:
			t.Fatalf("HbgoConfig.%s: kind %s this test cannot change; teach it", f.Name, v.Kind())
		}
		if len(restartOnly(old, nw)) == 0 {
			t.Errorf("hbgo.cf field %s changed on a reload without a word: add it to restartOnly (or apply it at run time)", f.Name)
		}
	}
}
