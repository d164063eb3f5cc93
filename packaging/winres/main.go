// Command winres writes the Windows resource of Carrel's executable (its
// icon, version information and manifest) as app/rsrc_windows_amd64.syso,
// which the Go linker includes in windows/amd64 builds only.
//
//	go run ./packaging/icon -ico dist/carrel.ico
//	go run ./packaging/winres -ico dist/carrel.ico -version 0.1.0.1
package main

import (
	"flag"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/josephspurrier/goversioninfo"
)

// manifest asks for no elevation, per-monitor DPI awareness (sharp text on
// high-resolution screens) and the modern common controls.
const manifest = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity version="VERSION" processorArchitecture="*" name="ai.carrel.app" type="win32"/>
  <description>Carrel</description>
  <trustInfo xmlns="urn:schemas-microsoft-com:asm.v3">
    <security><requestedPrivileges><requestedExecutionLevel level="asInvoker" uiAccess="false"/></requestedPrivileges></security>
  </trustInfo>
  <application xmlns="urn:schemas-microsoft-com:asm.v3">
    <windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">permonitorv2,permonitor</dpiAwareness>
    </windowsSettings>
  </application>
  <dependency><dependentAssembly>
    <assemblyIdentity type="win32" name="Microsoft.Windows.Common-Controls" version="6.0.0.0" processorArchitecture="*" publicKeyToken="6595b64144ccf1df" language="*"/>
  </dependentAssembly></dependency>
</assembly>
`

func main() {
	ico := flag.String("ico", "dist/carrel.ico", "icon file")
	version := flag.String("version", "0.1.0.1", "version as a.b.c.d")
	out := flag.String("out", "app/rsrc_windows_amd64.syso", "resource object to write")
	flag.Parse()
	parts := strings.Split(*version, ".")
	for len(parts) < 4 {
		parts = append(parts, "0")
	}
	n := make([]int, 4)
	for i := range n {
		v, err := strconv.Atoi(parts[i])
		if err != nil {
			log.Fatalf("bad version %q", *version)
		}
		n[i] = v
	}
	dotted := strings.Join(parts[:4], ".")
	mf := filepath.Join(os.TempDir(), "carrel.manifest")
	if err := os.WriteFile(mf, []byte(strings.Replace(manifest, "VERSION", dotted, 1)), 0o644); err != nil {
		log.Fatal(err)
	}
	defer os.Remove(mf)
	vi := &goversioninfo.VersionInfo{}
	vi.IconPath = *ico
	vi.ManifestPath = mf
	vi.StringFileInfo.ProductName = "Carrel"
	vi.StringFileInfo.FileDescription = "Carrel: ask your own documents, privately"
	vi.StringFileInfo.CompanyName = "Carrel"
	vi.StringFileInfo.InternalName = "carrel"
	vi.StringFileInfo.OriginalFilename = "Carrel.exe"
	vi.StringFileInfo.ProductVersion = dotted
	vi.StringFileInfo.FileVersion = dotted
	vi.FixedFileInfo.FileVersion = goversioninfo.FileVersion{Major: n[0], Minor: n[1], Patch: n[2], Build: n[3]}
	vi.FixedFileInfo.ProductVersion = vi.FixedFileInfo.FileVersion
	vi.Build()
	vi.Walk()
	if err := vi.WriteSyso(*out, "amd64"); err != nil {
		log.Fatal(err)
	}
}
