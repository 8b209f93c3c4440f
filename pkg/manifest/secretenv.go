package manifest

import "strings"

// SecretEnvPrefix starts the name of every environment variable that carries
// a secret value into a worker pod.
const SecretEnvPrefix = "MFN_SECRET_"

// SecretEnvName returns the environment variable that holds key of the Secret
// secretName inside a worker pod. The operator sets it with
// valueFrom.secretKeyRef; the worker reads it. Characters that are not
// letters or digits become '_', and the Secret name and key are joined by
// "__" so that distinct pairs stay distinct in practice:
//
//	SecretEnvName("webhook-creds", "hmac.key") == "MFN_SECRET_WEBHOOK_CREDS__HMAC_KEY"
func SecretEnvName(secretName, key string) string {
	var b strings.Builder
	b.Grow(len(SecretEnvPrefix) + len(secretName) + len(key) + 2)
	b.WriteString(SecretEnvPrefix)
	writeEnvPart(&b, secretName)
	b.WriteString("__")
	writeEnvPart(&b, key)
	return b.String()
}

func writeEnvPart(b *strings.Builder, s string) {
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
}
