package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var screenshot = flag.String("screenshot", "", "write the full-page browser screenshot of the example report to this PNG file")

// browser finds a headless-capable Chromium, or skips the test.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH: install Debian's chromium (apt-get install chromium) to render the report in a real browser")
	return ""
}

// runBrowser runs headless Chromium with args and returns its standard output.
func runBrowser(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
		"--disable-extensions", "--mute-audio", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args, " "), err, stderr.String())
	}
	return stdout.Bytes()
}

// harness loads the report in two frames, a desktop width and a phone width,
// and writes what it finds into the page as one JSON line.
const harness = `<!DOCTYPE html>
<html><body>
<iframe id="wide" src="report/index.html" style="width:1280px;height:800px;border:0"></iframe>
<iframe id="narrow" src="report/index.html" style="width:400px;height:800px;border:0"></iframe>
<pre id="out">PENDING</pre>
<script>
function check(id) {
  const d = document.getElementById(id).contentDocument;
  const imgs = Array.from(d.images);
  const de = d.documentElement;
  return {
    title: d.title,
    images: imgs.length,
    broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.getAttribute("src")),
    missingAnchors: Array.from(d.querySelectorAll('a[href^="#"]')).map(a => a.getAttribute("href").slice(1)).filter(id => !d.getElementById(id)),
    scrollWidth: de.scrollWidth,
    clientWidth: de.clientWidth,
    height: de.scrollHeight,
  };
}
window.addEventListener("load", () => {
  let r;
  try { r = {wide: check("wide"), narrow: check("narrow")}; } catch (e) { r = {error: String(e)}; }
  document.getElementById("out").textContent = "RES" + "ULT " + JSON.stringify(r) + " E" + "ND";
});
</script>
</body></html>`

type frameCheck struct {
	Title          string   `json:"title"`
	Images         int      `json:"images"`
	Broken         []string `json:"broken"`
	MissingAnchors []string `json:"missingAnchors"`
	ScrollWidth    int      `json:"scrollWidth"`
	ClientWidth    int      `json:"clientWidth"`
	Height         int      `json:"height"`
}

// TestBrowserRender renders the example report in headless Chromium: every
// image loads, every in-page link has its target, the page never scrolls
// sideways at desktop or phone width, and a screenshot of the whole page is
// not blank.
func TestBrowserRender(t *testing.T) {
	bin := browser(t)
	in := example(t)
	root := t.TempDir()
	dir := filepath.Join(root, "report")
	if err := Write(dir, in); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "check.html"), []byte(harness), 0o644); err != nil {
		t.Fatal(err)
	}
	dom := runBrowser(t, bin, "--allow-file-access-from-files", "--virtual-time-budget=15000", "--dump-dom", "file://"+filepath.Join(root, "check.html"))
	_, rest, ok := bytes.Cut(dom, []byte("RESULT "))
	js, _, ok2 := bytes.Cut(rest, []byte(" END"))
	if !ok || !ok2 {
		t.Fatalf("the harness page reported nothing; chromium's DOM:\n%.2000s", dom)
	}
	var res struct {
		Error  string     `json:"error"`
		Wide   frameCheck `json:"wide"`
		Narrow frameCheck `json:"narrow"`
	}
	if err := json.Unmarshal(js, &res); err != nil {
		t.Fatalf("harness result %s: %v", js, err)
	}
	if res.Error != "" {
		t.Fatalf("harness script failed: %s", res.Error)
	}
	files, err := Files(in)
	if err != nil {
		t.Fatal(err)
	}
	wantImages := len(files) - 2
	for name, f := range map[string]frameCheck{"1280 px": res.Wide, "400 px": res.Narrow} {
		if f.Title != in.Title {
			t.Errorf("%s: title %q, want %q", name, f.Title, in.Title)
		}
		if f.Images != wantImages {
			t.Errorf("%s: %d images on the page, want %d", name, f.Images, wantImages)
		}
		if len(f.Broken) > 0 {
			t.Errorf("%s: images that did not load: %v", name, f.Broken)
		}
		if len(f.MissingAnchors) > 0 {
			t.Errorf("%s: links to missing anchors: %v", name, f.MissingAnchors)
		}
		if f.ScrollWidth > f.ClientWidth {
			t.Errorf("%s: the page scrolls sideways (content %d px wide in a %d px view)", name, f.ScrollWidth, f.ClientWidth)
		}
	}
	height := res.Wide.Height
	if height < 1000 {
		t.Fatalf("page is only %d px tall at 1280 px wide", height)
	}
	// The top of the page is enough for the test; a full-page shot (slower)
	// only when asked for one.
	if *screenshot == "" {
		height = min(height, 2400)
	}
	shot := filepath.Join(root, "page.png")
	runBrowser(t, bin, "--screenshot="+shot, "--window-size=1280,"+strconv.Itoa(height), "file://"+filepath.Join(dir, "index.html"))
	b, err := os.ReadFile(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if got := img.Bounds().Dx(); got != 1280 {
		t.Errorf("screenshot is %d px wide, want 1280", got)
	}
	if frac := inkFraction(img); frac < 0.02 {
		t.Errorf("screenshot is nearly blank: %.1f%% of pixels differ from the background", 100*frac)
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
