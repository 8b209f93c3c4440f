package manifest

import "testing"

func TestSecretEnvName(t *testing.T) {
	tests := []struct{ secret, key, want string }{
		{"webhook-creds", "hmac.key", "MFN_SECRET_WEBHOOK_CREDS__HMAC_KEY"},
		{"db", "dsn", "MFN_SECRET_DB__DSN"},
		{"Kafka.SASL", "pass-word_2", "MFN_SECRET_KAFKA_SASL__PASS_WORD_2"},
	}
	for _, tt := range tests {
		if got := SecretEnvName(tt.secret, tt.key); got != tt.want {
			t.Errorf("SecretEnvName(%q, %q) = %q, want %q", tt.secret, tt.key, got, tt.want)
		}
	}
	if SecretEnvName("a-b", "c") == SecretEnvName("a", "b-c") {
		t.Errorf("distinct secret/key pairs map to the same variable")
	}
}
