#!/bin/sh
# Builds the Debian package from the staged Linux tree that package.sh
# lays out (bin/, lib/carrel/, share/):
#
#   sh packaging/deb.sh STAGE VERSION OUTDIR    → OUTDIR/carrel_VERSION_amd64.deb
#
# The package installs under /usr. Its dependencies are the shared
# libraries the binaries link (found by dpkg-shlibdeps); Tesseract is
# recommended, not required (scans wait for it). It has no maintainer
# scripts: the desktop entry, its MIME types and the icons are registered
# by the file triggers of desktop-file-utils, shared-mime-info and the
# icon theme, and removing the package removes every file it installed.
set -eu

stage=$1 version=$2 out=$3
pkg=$out/deb
rm -rf "$pkg"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/lib/carrel" "$pkg/usr/share/doc/carrel" "$pkg/usr/share/man/man1"

cp "$stage/bin/carrel" "$pkg/usr/bin/carrel"
cp -R "$stage/lib/carrel/." "$pkg/usr/lib/carrel/"
cp -R "$stage/share/applications" "$stage/share/icons" "$pkg/usr/share/"
# The baseline binary, and the builds for newer CPUs when made.
bins=$(find "$pkg/usr/bin" "$pkg/usr/lib/carrel" -maxdepth 1 -type f -name 'carrel*')
chmod 755 $bins
find "$pkg/usr/share" "$pkg/usr/lib/carrel/models" -type f -exec chmod 644 {} +

# Debian's policy documents: the copyright, a changelog, a manual page.
cat > "$pkg/usr/share/doc/carrel/copyright" <<EOF
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: Carrel
Source: https://github.com/carrel-ai/carrel

Files: *
Copyright: $(date -u +%Y) The Carrel developers
License: proprietary
 All rights reserved by the Carrel developers until a licence is chosen;
 you may install and use this package.

Files: usr/bin/carrel usr/lib/carrel/carrel-*
Copyright: 2023-2026 The ggml authors
License: MIT
 The binaries include llama.cpp and ggml (https://github.com/ggml-org/llama.cpp).
 .
 Permission is hereby granted, free of charge, to any person obtaining a copy
 of this software and associated documentation files (the "Software"), to deal
 in the Software without restriction, including without limitation the rights
 to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
 copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all
 copies or substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
 IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
 FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
 AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
 LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
 OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
 SOFTWARE.

Files: usr/lib/carrel/models/*
Copyright: 2021 Sentence-Transformers (Nils Reimers)
License: Apache-2.0
 all-MiniLM-L6-v2, the embedding model that ships with Carrel.
 On Debian systems, the full text of the Apache License 2.0 can be found in
 /usr/share/common-licenses/Apache-2.0.
EOF
date=$(date -u -R)
printf 'carrel (%s) unstable; urgency=medium\n\n  * Release %s; see /usr/share/doc/carrel/ and the project'"'"'s CHANGELOG.md.\n\n -- Carrel developers <carrel-ai@users.noreply.github.com>  %s\n' \
	"$version" "$version" "$date" | gzip -9n > "$pkg/usr/share/doc/carrel/changelog.gz"
cat <<EOF | gzip -9n > "$pkg/usr/share/man/man1/carrel.1.gz"
.TH CARREL 1 "$(date -u +%Y-%m-%d)" "Carrel $version" "User Commands"
.SH NAME
carrel \- a private, offline assistant for your own documents
.SH SYNOPSIS
.B carrel
[\fIFILE\fR...]
.br
.B carrel
\fICOMMAND\fR [\fIOPTIONS\fR] [\fIARGUMENTS\fR]
.SH DESCRIPTION
Without a command, \fBcarrel\fR opens the desktop app (adding any files
given). Drop documents into it, ask a question, and the answer cites the
file, page and passage it comes from; when the documents do not hold the
answer, it says so. Everything stays on this computer.
.PP
With a command it works in the terminal: \fBadd\fR, \fBlist\fR,
\fBsearch\fR, \fBask\fR, \fBchat\fR, \fBremove\fR, \fBwatch\fR,
\fBmodels\fR, \fBserve\fR (an OpenAI-compatible API and an MCP server for
other programs on this computer), \fBmcp\fR, \fBinfo\fR and others.
Run \fBcarrel help\fR for the list and \fBcarrel help\fR \fICOMMAND\fR for
a command's options.
.SH FILES
.TP
.I ~/.local/share/carrel
the libraries, conversations and settings (\fIconfig.toml\fR).
.SH SEE ALSO
.BR tesseract (1),
which Carrel uses, when installed, to read scanned pages and pictures.
EOF

# The libraries the binaries link, as Debian names their packages.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debian"
printf 'Source: carrel\n\nPackage: carrel\nArchitecture: amd64\n' > "$tmp/debian/control"
abs=$(cd "$pkg" && pwd)
absbins=$(for b in $bins; do echo "$abs/${b#"$pkg"/}"; done)
depends=$(cd "$tmp" && dpkg-shlibdeps -O $absbins 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "deb.sh: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
# The window's toolkit (GLFW) opens these X11 libraries at run time, where
# dpkg-shlibdeps cannot see them.
depends="$depends, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1, libxrender1, libx11-xcb1"

size=$(du -sk "$pkg/usr" | cut -f1)
cat > "$pkg/DEBIAN/control" <<EOF
Package: carrel
Version: $version
Architecture: amd64
Maintainer: Carrel developers <carrel-ai@users.noreply.github.com>
Installed-Size: $size
Depends: $depends
Recommends: tesseract-ocr, tesseract-ocr-eng
Suggests: tesseract-ocr-all
Section: text
Priority: optional
Homepage: https://github.com/carrel-ai/carrel
Description: private, offline assistant for your own documents
 Carrel reads your documents (PDF, Word, OpenDocument, EPUB, HTML,
 Markdown, text, scans and pictures), and answers questions about them
 with a language model that runs on this computer. Every answer cites the
 file, page and passage it comes from, which the viewer highlights; when
 the documents do not hold the answer, Carrel says so.
 .
 Nothing leaves the computer unless you set it up to. The same engine
 serves a command line, an OpenAI-compatible API and an MCP server for
 other programs on this computer. Scans are read when Tesseract is
 installed.
EOF
# PDFium runs inside the binaries compiled to WebAssembly, in a sandbox,
# with the libraries it was built with: they cannot be the system's.
mkdir -p "$pkg/usr/share/lintian/overrides"
overrides=$pkg/usr/share/lintian/overrides/carrel
{
	echo "# PDFium (the PDF engine) is compiled to WebAssembly with its own FreeType,"
	echo "# Little CMS, libjpeg and OpenJPEG, and runs sandboxed inside each binary:"
	echo "# it cannot use the system's libraries."
	for b in $bins; do
		for lib in freetype lcms2 libjpeg openjpeg; do
			echo "carrel: embedded-library $lib [${b#"$pkg"/}]"
		done
	done
} > "$overrides"
chmod 644 "$overrides"
(cd "$pkg" && find usr -type f -exec md5sum {} + | sort -k2) > "$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"
find "$pkg" -type d -exec chmod 755 {} +

deb=$out/carrel_${version}_amd64.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
rm -rf "$pkg"
echo "$deb"
