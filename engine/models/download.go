package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/carrel-ai/carrel/internal/private"

	"github.com/carrel-ai/carrel/engine/gguf"
)

// Errors of a download.
var (
	ErrChecksum = errors.New("models: the downloaded file does not match its checksum (it was removed; download it again)")
	ErrDiskFull = errors.New("models: the disk is full (free some space; the download resumes where it stopped)")
)

// Progress reports a download.
type Progress struct {
	Done, Total int64 // bytes; Total is 0 when the server does not say
	BytesPerSec float64
	ETA         time.Duration
}

// Verified says how a download was checked.
type Verified string

// Ways a download is checked.
const (
	VerifiedPinned Verified = "checksum from Carrel's catalog, size and GGUF header"
	VerifiedServer Verified = "checksum reported by the server, size and GGUF header"
	VerifiedHeader Verified = "size and GGUF header only (no checksum is known)"
)

// Downloader fetches model files. The zero value uses http.DefaultClient.
type Downloader struct {
	Client *http.Client
	// open creates or reopens the partial file; tests replace it to
	// simulate a full disk.
	open func(name string, flag int) (io.WriteCloser, error)
}

// Download fetches url into dest. The data goes to dest+".part" first: an
// interrupted or cancelled download keeps it and the next call resumes
// from where it stopped (with an HTTP range request). The finished file is
// checked — its SHA-256 against sha256 when given, else against the one
// the server reports (Hugging Face's X-Linked-Etag), and always its size
// and GGUF header — and only then renamed to dest.
func (d *Downloader) Download(ctx context.Context, url, dest, sha string, progress func(Progress)) (Verified, error) {
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	open := d.open
	if open == nil {
		open = func(name string, flag int) (io.WriteCloser, error) { return os.OpenFile(name, flag, 0o600) }
	}
	if err := private.Dir(filepath.Dir(dest)); err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	part := dest + ".part"
	h := sha256.New()
	have := int64(0)
	if f, err := os.Open(part); err == nil { // resume: hash what is there
		have, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("models: reading the partial download: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	if have > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", have))
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", netError(req.URL.Host, err)
	}
	defer resp.Body.Close()
	var total int64
	flag := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	switch {
	case resp.StatusCode == http.StatusPartialContent && have > 0:
		start, size, ok := contentRange(resp.Header.Get("Content-Range"))
		if !ok || start != have {
			return "", fmt.Errorf("models: the server resumed at the wrong place (%q)", resp.Header.Get("Content-Range"))
		}
		total = size
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && have > 0:
		// The partial file is already whole.
		_, size, _ := contentRange(resp.Header.Get("Content-Range"))
		total = size
	case resp.StatusCode == http.StatusOK:
		// A fresh start: the server sends the whole file.
		have = 0
		h.Reset()
		flag = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		total = resp.ContentLength
	default:
		return "", fmt.Errorf("models: downloading %s: the server answered %s", url, resp.Status)
	}
	serverSum := linkedETag(resp.Header)
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		f, err := open(part, flag)
		if err != nil {
			return "", fmt.Errorf("models: %w", diskError(err))
		}
		n, err := copyProgress(ctx, io.MultiWriter(f, h), resp.Body, have, total, progress)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		have += n
		if err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			return "", fmt.Errorf("models: downloading %s: %w", url, diskError(err))
		}
	}
	if total > 0 && have != total {
		return "", fmt.Errorf("models: the download ended early (%d of %d bytes); try again to resume", have, total)
	}
	got := hex.EncodeToString(h.Sum(nil))
	verified := VerifiedHeader
	switch want := strings.ToLower(sha); {
	case want != "":
		verified = VerifiedPinned
		if got != want {
			os.Remove(part)
			return "", ErrChecksum
		}
	case serverSum != "":
		verified = VerifiedServer
		if got != serverSum {
			os.Remove(part)
			return "", ErrChecksum
		}
	}
	if _, err := gguf.ReadInfo(part); err != nil {
		os.Remove(part)
		return "", fmt.Errorf("models: the downloaded file is not a usable GGUF model (it was removed): %w", err)
	}
	if err := os.Rename(part, dest); err != nil {
		return "", fmt.Errorf("models: %w", err)
	}
	return verified, nil
}

// copyProgress copies src to dst, reporting progress at most ten times a
// second and stopping when ctx ends.
func copyProgress(ctx context.Context, dst io.Writer, src io.Reader, have, total int64, progress func(Progress)) (int64, error) {
	buf := make([]byte, 256<<10)
	start, last := time.Now(), time.Time{}
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		r, rerr := src.Read(buf)
		if r > 0 {
			w, werr := dst.Write(buf[:r])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if progress != nil && (time.Since(last) > 100*time.Millisecond || rerr != nil) {
			last = time.Now()
			p := Progress{Done: have + n, Total: total}
			if s := time.Since(start).Seconds(); s > 0 {
				p.BytesPerSec = float64(n) / s
			}
			if p.BytesPerSec > 0 && total > p.Done {
				p.ETA = time.Duration(float64(total-p.Done) / p.BytesPerSec * float64(time.Second))
			}
			progress(p)
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

var contentRangeRE = regexp.MustCompile(`^bytes (?:(\d+)-\d+|\*)/(\d+|\*)$`)

// contentRange reads "bytes START-END/SIZE" (or "bytes */SIZE").
func contentRange(s string) (start, size int64, ok bool) {
	m := contentRangeRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, false
	}
	if m[1] != "" {
		start, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m[2] != "*" {
		size, _ = strconv.ParseInt(m[2], 10, 64)
	}
	return start, size, true
}

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// linkedETag is the SHA-256 Hugging Face reports for a file kept in Git
// LFS, or "".
func linkedETag(h http.Header) string {
	v := strings.ToLower(strings.Trim(strings.TrimPrefix(h.Get("X-Linked-Etag"), "W/"), `"`))
	if sha256RE.MatchString(v) {
		return v
	}
	return ""
}

func diskError(err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return fmt.Errorf("%w: %v", ErrDiskFull, err)
	}
	return err
}

// ErrOffline means the download's server could not be reached: no
// network, no name server, or the server refusing connections. The error
// is an *OfflineError, which says so in words.
var ErrOffline = errors.New("models: the download's server cannot be reached")

// OfflineError is why a download's server could not be reached, in a
// person's words (Reason), without the URL and the resolver's details.
type OfflineError struct {
	Host   string
	Reason string
	Err    error
}

func (e *OfflineError) Error() string { return "models: " + e.Reason }

// Is makes errors.Is(err, ErrOffline) hold.
func (e *OfflineError) Is(target error) bool { return target == ErrOffline }

func (e *OfflineError) Unwrap() error { return e.Err }

// netError says why a request did not reach host.
func netError(host string, err error) error {
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return &OfflineError{host, "You appear to be offline (" + host + " cannot be looked up); the download needs the internet.", err}
	case errors.As(err, &op) && op.Op == "dial":
		return &OfflineError{host, host + " does not answer (offline, or a firewall?); the download needs the internet.", err}
	case os.IsTimeout(err):
		return &OfflineError{host, host + " took too long to answer; try again.", err}
	}
	return fmt.Errorf("models: downloading from %s: %w", host, err)
}

// FileIn is where a catalog model is (or will be) downloaded in a data
// folder: its models/ folder.
func FileIn(dataDir string, m Entry) string {
	return filepath.Join(dataDir, "models", m.File())
}

// DownloadInto downloads the catalog model id into a data folder's
// models/ (resuming an interrupted download) and returns its path and how
// it was verified.
func DownloadInto(ctx context.Context, dataDir, id string, progress func(Progress)) (string, Verified, error) {
	m, err := Lookup(id)
	if err != nil {
		return "", "", err
	}
	dest := FileIn(dataDir, m)
	if _, err := os.Stat(dest); err == nil {
		return dest, "already downloaded", nil
	}
	v, err := (&Downloader{}).Download(ctx, m.URL, dest, m.SHA256, progress)
	return dest, v, err
}
