package main

import (
	"fmt"
	"strings"
)

// Manifest builders for the tests: every test pipeline is written as the
// YAML a user would apply, assembled from these documents.

// doc renders one document. body is YAML placed under "spec:" (at the top
// level for a Secret).
func doc(kind, name, body string) string {
	if kind == "Secret" {
		return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s}\n%s\n---\n", name, body)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: mfn.mycelium.io/v1alpha1\nkind: %s\nmetadata: {name: %s}\nspec:\n", kind, name)
	for line := range strings.SplitSeq(strings.TrimRight(body, "\n"), "\n") {
		b.WriteString("  " + line + "\n")
	}
	b.WriteString("---\n")
	return b.String()
}

// pipelineDoc references a connector and publishers; deadLetter may be "".
func pipelineDoc(name, connector string, publishers []string, deadLetter, extra string) string {
	refs := make([]string, len(publishers))
	for i, p := range publishers {
		refs[i] = "{name: " + p + "}"
	}
	body := fmt.Sprintf("connectorRef: {name: %s}\npublisherRefs: [%s]\n", connector, strings.Join(refs, ", "))
	if deadLetter != "" {
		body += "deadLetterPublisherRef: {name: " + deadLetter + "}\n"
	}
	return doc("MFNPipeline", name, body+extra)
}

// kafkaConnectorDoc: options holds more fields of spec.kafka in flow style
// ("commitInterval: 50ms, sessionTimeout: 6s").
func kafkaConnectorDoc(name, bootstrap, topic, group, options string) string {
	return doc("Connector", name, fmt.Sprintf("type: kafka\nkafka: {bootstrapServers: [%q], topic: %s, groupId: %s, %s}",
		bootstrap, topic, group, options))
}

// kafkaPublisherDoc: extra holds batching options (one per line).
func kafkaPublisherDoc(name, bootstrap, topic, extra string) string {
	return doc("Publisher", name, fmt.Sprintf("type: kafka\n%skafka: {bootstrapServers: [%q], topic: %s}", extra, bootstrap, topic))
}

func fileConnectorDoc(name, dir, extra string) string {
	return doc("Connector", name, fmt.Sprintf("type: file\nfile: {directory: %q%s}", dir, extra))
}

func jsonlPublisherDoc(name, dir, file, extra string) string {
	return doc("Publisher", name, fmt.Sprintf("type: jsonl\n%sjsonl: {directory: %q, fileName: %q}", extra, dir, file))
}
