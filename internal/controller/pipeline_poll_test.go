package controller

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/mfn-io/mfn-operator/pkg/status"
)

func TestFetchStatus(t *testing.T) {
	good := status.Report{SchemaVersion: status.SchemaVersion, Pipeline: "p", Totals: status.Totals{Processed: 3}}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		wantErr string
	}{
		{"ok", func(w http.ResponseWriter, _ *http.Request) { _ = json.NewEncoder(w).Encode(good) }, ""},
		{"http error", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, "HTTP 503"},
		{"not json", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("<html>")) }, "decode"},
		{"other schema", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte(`{"schemaVersion":"v0"}`))
		}, `schemaVersion "v0"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			r := &MFNPipelineReconciler{StatusURL: func(*corev1.Pod) string { return srv.URL + "/status" }}
			rep, err := r.fetchStatus(t.Context(), &corev1.Pod{})
			if tc.wantErr == "" {
				if err != nil || rep.Totals.Processed != 3 {
					t.Fatalf("fetchStatus = %+v, %v; want the report", rep, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("fetchStatus error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestDefaultStatusURL(t *testing.T) {
	r := &MFNPipelineReconciler{}
	for ip, want := range map[string]string{
		"10.0.0.7": "http://10.0.0.7:8080/status",
		"fd00::7":  "http://[fd00::7]:8080/status",
	} {
		if got := r.statusURL(&corev1.Pod{Status: corev1.PodStatus{PodIP: ip}}); got != want {
			t.Errorf("statusURL(%s) = %s, want %s", ip, got, want)
		}
	}
}

func TestPodPollable(t *testing.T) {
	ready := []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	now := metav1.Now()
	tests := []struct {
		name string
		pod  corev1.Pod
		want bool
	}{
		{"ready", corev1.Pod{Status: corev1.PodStatus{PodIP: "1.2.3.4", Conditions: ready}}, true},
		{"no IP", corev1.Pod{Status: corev1.PodStatus{Conditions: ready}}, false},
		{"not ready, not running", corev1.Pod{Status: corev1.PodStatus{PodIP: "1.2.3.4", Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}}, false},
		{"running but not ready (breaker open)", corev1.Pod{Status: corev1.PodStatus{PodIP: "1.2.3.4", Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}}, true},
		{"succeeded", corev1.Pod{Status: corev1.PodStatus{PodIP: "1.2.3.4", Phase: corev1.PodSucceeded}}, false},
		{"terminating", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: &now}, Status: corev1.PodStatus{PodIP: "1.2.3.4", Conditions: ready}}, false},
	}
	for _, tc := range tests {
		if got := podPollable(&tc.pod); got != tc.want {
			t.Errorf("%s: podPollable = %v, want %v", tc.name, got, tc.want)
		}
	}
}
