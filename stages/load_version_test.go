package stages

import "testing"

// TestLoadVersionFollowsSource: the load stage's version names its
// source's own version, so bumping one source leaves the others' keys.
func TestLoadVersionFollowsSource(t *testing.T) {
	st, _ := Lookup("load")
	for _, tc := range []struct{ source, want string }{
		{"photos", "1/photos.1"},
		{"deadleaves", "1/deadleaves.2"},
		{"npy", "1/npy.2"},
	} {
		if got := VersionOf(st, Params{"source": tc.source}); got != tc.want {
			t.Errorf("source %s: version %q, want %q", tc.source, got, tc.want)
		}
	}
	saved := sources["npy"]
	defer func() { sources["npy"] = saved }()
	bumped := saved
	bumped.Version = "9"
	sources["npy"] = bumped
	if got := VersionOf(st, Params{"source": "photos"}); got != "1/photos.1" {
		t.Errorf("bumping npy changed photos' version to %q", got)
	}
	if got := VersionOf(st, Params{"source": "npy"}); got != "1/npy.9" {
		t.Errorf("npy version %q after the bump, want 1/npy.9", got)
	}
	if s, _ := Lookup("spectrum"); VersionOf(s, Params{}) != s.Version() {
		t.Errorf("a stage without ParamVersioner must report Version()")
	}
}
