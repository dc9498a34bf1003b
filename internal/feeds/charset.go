package feeds

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// xmlDeclEncoding finds the encoding pseudo-attribute of an XML declaration.
var xmlDeclEncoding = regexp.MustCompile(`^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// utf8BOM is stripped before parsing: a BOM says UTF-8 louder than any label.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// toUTF8 returns the feed document re-encoded so that gofeed reads it right.
//
// The rules, in order:
//   - A UTF-16 byte order mark: the document is decoded from UTF-16 (and its
//     declaration, which now lies, is dropped).
//   - An XML document that declares its encoding is left as it is: gofeed's
//     XML decoder converts it through the same charset tables. The declaration
//     wins over the Content-Type header, as XML says it should when the two
//     disagree in practice (servers often send a wrong default charset).
//   - A JSON document that is valid UTF-8 is left as it is, whatever the
//     header says.
//   - Otherwise the Content-Type header's charset, when it names one that is
//     not UTF-8, decodes the document.
//   - A document declared (either way) as UTF-8 has its invalid bytes
//     dropped: one stray byte would otherwise make the XML decoder reject the
//     whole feed.
//   - Otherwise a document that is not valid UTF-8 is taken as Windows-1252
//     (the web's de facto default for undeclared 8-bit text, a superset of
//     ISO-8859-1's printable characters) rather than failing or dropping
//     every accented letter.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	if enc := utf16ByBOM(body); enc != nil {
		out, err := decodeWith(enc, body)
		if err != nil {
			return nil, err
		}
		return dropXMLDecl(out), nil
	}
	body = bytes.TrimPrefix(body, utf8BOM)
	head := bytes.TrimLeft(body[:min(len(body), 1024)], " \t\r\n")
	if bytes.HasPrefix(head, []byte("<")) {
		if m := xmlDeclEncoding.FindSubmatch(head); m != nil {
			if _, name := charset.Lookup(string(m[1])); name == "utf-8" {
				return validUTF8(body), nil
			}
			return body, nil
		}
	}
	if len(head) > 0 && head[0] == '{' && utf8.Valid(body) {
		// JSON is UTF-8 by definition (RFC 8259); a header saying otherwise
		// is a server default, not a statement about this document.
		return body, nil
	}
	if label := headerCharset(contentType); label != "" {
		enc, name := charset.Lookup(label)
		if enc == nil {
			return nil, fmt.Errorf("unsupported charset %q", label)
		}
		if name == "utf-8" {
			return validUTF8(body), nil
		}
		return decodeWith(enc, body)
	}
	if utf8.Valid(body) {
		return body, nil
	}
	return decodeWith(charmap.Windows1252, body)
}

// validUTF8 drops the bytes of b that are not valid UTF-8.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, nil)
}

// headerCharset returns the charset parameter of a Content-Type value.
func headerCharset(contentType string) string {
	if contentType == "" {
		return ""
	}
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(params["charset"])
}

// utf16ByBOM recognizes a UTF-16 document by its byte order mark.
func utf16ByBOM(b []byte) encoding.Encoding {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM)
	}
	return nil
}

// dropXMLDecl removes a leading XML declaration, whose encoding label no
// longer describes a document that has been converted to UTF-8.
func dropXMLDecl(b []byte) []byte {
	t := bytes.TrimLeft(b, " \t\r\n")
	if bytes.HasPrefix(t, []byte("<?xml")) {
		if end := bytes.Index(t, []byte("?>")); end >= 0 {
			return t[end+2:]
		}
	}
	return b
}

func decodeWith(enc encoding.Encoding, b []byte) ([]byte, error) {
	out, _, err := transform.Bytes(enc.NewDecoder(), b)
	if err != nil {
		return nil, fmt.Errorf("decode charset: %w", err)
	}
	return out, nil
}
