package redistest

import "testing"

func TestStart(t *testing.T) {
	s := Start(t, Options{})
	s.Restart()
	if err := ping(s.Addr); err != nil {
		t.Fatal(err)
	}
}
