// Command gpx_cloudwatch_linux_<arch> is the executable grafana-server starts for this plugin: a static Go
// program (no libc, so it runs on musl-only, glibc-less and old-glibc hosts alike) that replaces itself with the
// plugin's bundled Python runtime. See docs/design.md, "Packaging".
//
// It execs the bundle's own glibc loader explicitly:
//
//	runtime/linux_<arch>/lib/ld-linux-*.so --inhibit-cache --library-path runtime/linux_<arch>/lib \
//	    runtime/linux_<arch>/bin/python3.11 -B -X utf8 -m cloudwatch_datasource [args...]
//
// Why this shape:
//   - The loader comes from the bundle, so the host needs no glibc and its /lib64 loader is never used.
//   - --library-path (not LD_LIBRARY_PATH) points only this process at the bundled libraries: botocore's
//     credential_process children inherit the environment unchanged and link against the host's own libraries.
//     --inhibit-cache keeps the host's /etc/ld.so.cache out of the search, so no host library is mixed in.
//   - exec, not fork: go-plugin's Kill() and Grafana's signals reach the Python process itself, and nothing is
//     left behind. Nothing is extracted or written at start (read-only root filesystems work).
//   - -B: bytecode was compiled at build time (unchecked-hash .pyc files); never try to write it.
//     Isolation (no PYTHON* variables, no user site, no current directory on sys.path) comes from the
//     python3.11._pth file beside the interpreter, which also lists the module search path.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// loaders: the glibc program interpreter's file name for each architecture this plugin ships.
var loaders = map[string]string{
	"amd64": "ld-linux-x86-64.so.2",
	"arm64": "ld-linux-aarch64.so.1",
}

// pluginDir is the folder holding this executable. /proc/self/exe is exact; without /proc (a minimal chroot)
// go-plugin's absolute argv[0] is the fallback. Symlinks are resolved, so a linked plugin folder still finds
// its runtime.
func pluginDir() (string, error) {
	self, err := os.Executable()
	if err != nil {
		if !filepath.IsAbs(os.Args[0]) {
			return "", fmt.Errorf("cannot locate the plugin executable (no /proc/self/exe and argv[0] %q is relative): %w", os.Args[0], err)
		}
		self = os.Args[0]
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	return filepath.Dir(self), nil
}

func main() {
	dir, err := pluginDir()
	if err != nil {
		fail(err)
	}
	arch := runtime.GOARCH
	loaderName, ok := loaders[arch]
	if !ok {
		fail(fmt.Errorf("no bundled runtime for linux/%s", arch))
	}
	rt := filepath.Join(dir, "runtime", "linux_"+arch)
	loader := filepath.Join(rt, "lib", loaderName)
	argv := []string{
		loader, "--inhibit-cache", "--library-path", filepath.Join(rt, "lib"),
		filepath.Join(rt, "bin", "python3.11"), "-B", "-X", "utf8", "-m", "cloudwatch_datasource",
	}
	argv = append(argv, os.Args[1:]...)
	err = syscall.Exec(loader, argv, os.Environ())
	fail(fmt.Errorf("cannot start the bundled Python runtime %s: %w (is the plugin folder complete? %s must be unpacked with it)", loader, err, rt))
}

// fail writes one line go-plugin shows in Grafana's log, then exits non-zero so the plugin is reported as failed.
func fail(err error) {
	fmt.Fprintf(os.Stderr, "gpx_cloudwatch: %v\n", err)
	os.Exit(1)
}
