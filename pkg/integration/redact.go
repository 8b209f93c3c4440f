package integration

import (
	"net/url"
	"regexp"
	"strings"
)

// RedactURL removes user-info, query string and fragment from a URL so it
// can be logged or used as a metric label (INTEGRATION.md §1.2, §6). Text
// that does not parse as a URL with a scheme is returned with any
// "user:password@" part removed.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return urlCredentials.ReplaceAllString(raw, "$1")
	}
	u.User = nil
	u.RawQuery = ""
	u.ForceQuery = false
	u.Fragment = ""
	u.RawFragment = ""
	return u.String()
}

// urlCredentials matches scheme://user[:password]@ inside free text.
var urlCredentials = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@]*@`)

// urlQuery matches the query part of a URL inside free text.
var urlQuery = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#"']*)\?[^\s#"']*`)

// keyValueSecret matches password=…, token: …, secret=… style pairs.
var keyValueSecret = regexp.MustCompile(`(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization)(\s*[=:]\s*)("[^"]*"|'[^']*'|[^\s,;&]+)`)

// bearerToken matches HTTP authorization credentials.
var bearerToken = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)

// Redact scrubs an error text or log line: user-info and query strings of
// URLs, and the values of password/secret/token/api_key/authorization
// pairs, are replaced. The given secrets (when non-empty) are replaced
// wherever they occur.
func Redact(text string, secrets ...string) string {
	for _, s := range secrets {
		if s != "" {
			text = strings.ReplaceAll(text, s, "[REDACTED]")
		}
	}
	text = urlCredentials.ReplaceAllString(text, "$1")
	text = bearerToken.ReplaceAllString(text, "$1 [REDACTED]")
	text = urlQuery.ReplaceAllString(text, "$1")
	return keyValueSecret.ReplaceAllString(text, "$1$2[REDACTED]")
}

// RedactError is Redact(err.Error()); it returns "" for a nil error.
func RedactError(err error, secrets ...string) string {
	if err == nil {
		return ""
	}
	return Redact(err.Error(), secrets...)
}
