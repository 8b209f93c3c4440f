package v1alpha1_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	mfnv1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
)

var samplesDir = filepath.Join(repoRoot, "config", "samples")

// sample reads config/samples/<file> as an unstructured object.
func sample(file string) *unstructured.Unstructured {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(samplesDir, file))
	Expect(err).NotTo(HaveOccurred())
	obj := &unstructured.Unstructured{}
	Expect(yaml.Unmarshal(data, &obj.Object)).To(Succeed(), "parsing %s", file)
	return obj
}

// sampleFiles lists the resources of config/samples/kustomization.yaml.
func sampleFiles() []string {
	GinkgoHelper()
	data, err := os.ReadFile(filepath.Join(samplesDir, "kustomization.yaml"))
	Expect(err).NotTo(HaveOccurred())
	var k struct {
		Resources []string `json:"resources"`
	}
	Expect(yaml.Unmarshal(data, &k)).To(Succeed())
	return k.Resources
}

// mergePatch applies a JSON merge patch (RFC 7396) given as YAML to obj:
// maps merge recursively, null deletes a key, anything else replaces.
func mergePatch(obj map[string]any, patchYAML string) {
	GinkgoHelper()
	var patch map[string]any
	Expect(yaml.Unmarshal([]byte(patchYAML), &patch)).To(Succeed(), "parsing patch %q", patchYAML)
	merge(obj, patch)
}

func merge(dst, patch map[string]any) {
	for k, v := range patch {
		switch pv := v.(type) {
		case nil:
			delete(dst, k)
		case map[string]any:
			sub, ok := dst[k].(map[string]any)
			if !ok {
				sub = map[string]any{}
				dst[k] = sub
			}
			merge(sub, pv)
		default:
			dst[k] = v
		}
	}
}

// create stores obj under a generated name in the test namespace, with
// strict field validation so that unknown fields are errors, not pruned.
func create(ctx SpecContext, obj *unstructured.Unstructured) error {
	obj.SetName("")
	obj.SetGenerateName("t-")
	obj.SetNamespace(namespace)
	return k8sClient.Create(ctx, obj, client.FieldValidation(metav1.FieldValidationStrict))
}

// minimalPipeline returns a pipeline with only the required fields set.
func minimalPipeline(name string) *mfnv1alpha1.MFNPipeline {
	return &mfnv1alpha1.MFNPipeline{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
		Spec: mfnv1alpha1.MFNPipelineSpec{
			ConnectorRef:  mfnv1alpha1.ComponentReference{Name: "c"},
			PublisherRefs: []mfnv1alpha1.ComponentReference{{Name: "p"}},
		},
	}
}

var _ = Describe("Admission", func() {
	DescribeTable("refuses an invalid object with a message that names the rule",
		func(ctx SpecContext, file, patch, want string) {
			obj := sample(file)
			mergePatch(obj.Object, patch)
			err := create(ctx, obj)
			Expect(err).To(HaveOccurred(), "the API server accepted %s patched with %s", file, patch)
			Expect(apierrors.IsInvalid(err) || apierrors.IsBadRequest(err)).To(BeTrue(), "unexpected error kind: %v", err)
			Expect(err.Error()).To(ContainSubstring(want))
		},

		// Connector: type and options.
		Entry("connector type without its options", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: null}}`,
			"spec.kafka must be set when type is kafka, and only then"),
		Entry("connector options of another type", "mfn_v1alpha1_connector_file.yaml",
			`{spec: {kafka: {bootstrapServers: ["k:9092"], topic: t, groupId: g}}}`,
			"spec.kafka must be set when type is kafka, and only then"),
		Entry("connector type outside the enum", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {type: ftp}}`,
			`Unsupported value: "ftp"`),
		Entry("file afterProcess keep, which claim-by-rename cannot honour", "mfn_v1alpha1_connector_file.yaml",
			`{spec: {file: {afterProcess: keep}}}`,
			`spec.file.afterProcess: Unsupported value: "keep"`),
		Entry("kafka broker without a port", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {bootstrapServers: ["kafka-0"]}}}`,
			"spec.kafka.bootstrapServers[0]"),
		Entry("kafka SASL password given inline", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {sasl: {mechanism: PLAIN, username: u, password: hunter2}}}}`,
			`unknown field "spec.kafka.sasl.password"`),
		Entry("kafka autoOffsetReset outside the enum", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {autoOffsetReset: smallest}}}`,
			`Unsupported value: "smallest"`),
		Entry("kafka sessionTimeout below the broker minimum", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {sessionTimeout: 5s}}}`,
			"sessionTimeout must be between 6s and 30m"),
		Entry("kafka rebalanceTimeout above 30m", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {rebalanceTimeout: 31m}}}`,
			"rebalanceTimeout must be between 1s and 30m"),
		Entry("kafka heartbeatInterval of 0", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {heartbeatInterval: 0s}}}`,
			"heartbeatInterval must be greater than 0"),
		Entry("kafka heartbeatInterval not below sessionTimeout", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {sessionTimeout: 6s, heartbeatInterval: 6s}}}`,
			"heartbeatInterval must be less than sessionTimeout (defaults 3s and 30s)"),
		Entry("kafka heartbeatInterval not below the default sessionTimeout", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {kafka: {heartbeatInterval: 45s}}}`,
			"heartbeatInterval must be less than sessionTimeout (defaults 3s and 30s)"),

		// Retry and breaker options (§2).
		Entry("maxRetries above 100", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {maxRetries: 101}}`,
			"spec.maxRetries in body should be less than or equal to 100"),
		Entry("maxRetryDelay below initialRetryDelay", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {initialRetryDelay: 10s, maxRetryDelay: 5s}}`,
			"maxRetryDelay must be greater than or equal to initialRetryDelay"),
		Entry("backoffMultiplier below 1", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {backoffMultiplier: "0.5"}}`,
			"backoffMultiplier must be between 1.0 and 10.0"),
		Entry("backoffMultiplier that is not a decimal", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {backoffMultiplier: "two"}}`,
			"spec.backoffMultiplier in body should match"),
		Entry("zero timeout", "mfn_v1alpha1_connector_rest.yaml",
			`{spec: {timeout: 0s}}`,
			"timeout must be greater than 0 and at most 10m"),
		Entry("timeout that is not a duration", "mfn_v1alpha1_connector_rest.yaml",
			`{spec: {timeout: soon}}`,
			"spec.timeout in body should match"),
		Entry("circuitBreakerThreshold of 0", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {circuitBreakerThreshold: 0}}`,
			"spec.circuitBreakerThreshold in body should be greater than or equal to 1"),
		Entry("retry strategy outside the enum", "mfn_v1alpha1_connector_kafka.yaml",
			`{spec: {retryStrategy: exponential}}`,
			`Unsupported value: "exponential"`),

		// File, REST and database connectors.
		Entry("file pattern with a directory", "mfn_v1alpha1_connector_file.yaml",
			`{spec: {file: {filePattern: "sub/*.json"}}}`,
			"filePattern must be a plain file-name pattern without '/' or '**'"),
		Entry("relative file directory", "mfn_v1alpha1_connector_file.yaml",
			`{spec: {file: {directory: data/in}}}`,
			"directory must be an absolute path"),
		Entry("REST base URL that is not http(s)", "mfn_v1alpha1_connector_rest.yaml",
			`{spec: {rest: {baseURL: "ftp://api.example.com"}}}`,
			"baseURL must be an absolute http:// or https:// URL"),
		Entry("REST base URL with a password", "mfn_v1alpha1_connector_rest.yaml",
			`{spec: {rest: {baseURL: "https://user:secret@api.example.com"}}}`,
			"baseURL must not contain user info (credentials); use headersFrom with a Secret"),
		Entry("REST Authorization header given inline", "mfn_v1alpha1_connector_rest.yaml",
			`{spec: {rest: {headers: {Authorization: "Bearer abc"}}}}`,
			"credential headers (Authorization, Proxy-Authorization, Cookie, X-Api-Key) must come from a Secret through headersFrom"),
		Entry("REST poll interval below 1s", "mfn_v1alpha1_connector_rest.yaml",
			`{spec: {rest: {pollInterval: 500ms}}}`,
			"pollInterval must be between 1s and 24h"),
		Entry("database without a DSN Secret", "mfn_v1alpha1_connector_database.yaml",
			`{spec: {database: {connectionStringSecretRef: null}}}`,
			"spec.database.connectionStringSecretRef: Required value"),
		Entry("database DSN Secret without a name", "mfn_v1alpha1_connector_database.yaml",
			`{spec: {database: {connectionStringSecretRef: {name: ""}}}}`,
			"connectionStringSecretRef.name must name a Secret"),
		Entry("database without keyColumn", "mfn_v1alpha1_connector_database.yaml",
			`{spec: {database: {keyColumn: null}}}`,
			"spec.database.keyColumn: Required value"),
		Entry("database without ackQuery", "mfn_v1alpha1_connector_database.yaml",
			`{spec: {database: {ackQuery: null}}}`,
			"spec.database.ackQuery: Required value"),
		Entry("database with an empty ackQuery", "mfn_v1alpha1_connector_database.yaml",
			`{spec: {database: {ackQuery: ""}}}`,
			"ackQuery must not be empty"),
		Entry("database emit mode outside the enum", "mfn_v1alpha1_connector_database.yaml",
			`{spec: {database: {emit: stream}}}`,
			`spec.database.emit: Unsupported value: "stream"`),

		// Publishers.
		Entry("publisher type without its options", "mfn_v1alpha1_publisher_redis.yaml",
			`{spec: {redis: null}}`,
			"spec.redis must be set when type is redis, and only then"),
		Entry("exactly_once on a webhook", "mfn_v1alpha1_publisher_webhook.yaml",
			`{spec: {deliveryGuarantee: exactly_once}}`,
			"deliveryGuarantee exactly_once is not supported yet"),
		Entry("exactly_once on kafka", "mfn_v1alpha1_publisher_kafka.yaml",
			`{spec: {deliveryGuarantee: exactly_once}}`,
			"deliveryGuarantee exactly_once is not supported yet"),
		Entry("batchSize of 0", "mfn_v1alpha1_publisher_kafka.yaml",
			`{spec: {batchSize: 0}}`,
			"spec.batchSize in body should be greater than or equal to 1"),
		Entry("buffer smaller than a batch", "mfn_v1alpha1_publisher_kafka.yaml",
			`{spec: {batchSize: 100, maxBufferedMessages: 50}}`,
			"maxBufferedMessages must be at least batchSize"),
		Entry("webhook over plain http", "mfn_v1alpha1_publisher_webhook.yaml",
			`{spec: {webhook: {url: "http://api.example.com/hook"}}}`,
			"webhook.url must use https:// unless allowInsecureHTTP is true"),
		Entry("webhook with both url and urlSecretRef", "mfn_v1alpha1_publisher_webhook.yaml",
			`{spec: {webhook: {urlSecretRef: {name: hook, key: url}}}}`,
			"exactly one of webhook.url and webhook.urlSecretRef must be set"),
		Entry("webhook signing key given inline", "mfn_v1alpha1_publisher_webhook.yaml",
			`{spec: {webhook: {secretKey: test-secret-key}}}`,
			`unknown field "spec.webhook.secretKey"`),
		Entry("webhook signing Secret without a name", "mfn_v1alpha1_publisher_webhook.yaml",
			`{spec: {webhook: {signingSecretRefs: [{key: k}]}}}`,
			"every signingSecretRefs entry must name a Secret"),
		Entry("payload format outside the enum", "mfn_v1alpha1_publisher_kafka.yaml",
			`{spec: {payloadFormat: nested}}`,
			`spec.payloadFormat: Unsupported value: "nested"`),
		Entry("non-finite policy outside the enum", "mfn_v1alpha1_publisher_kafka.yaml",
			`{spec: {nonFinite: zero}}`,
			`spec.nonFinite: Unsupported value: "zero"`),
		Entry("webhook signature version outside the enum", "mfn_v1alpha1_publisher_webhook.yaml",
			`{spec: {webhook: {signatureVersion: v2}}}`,
			`spec.webhook.signatureVersion: Unsupported value: "v2"`),
		Entry("redis URL with a password", "mfn_v1alpha1_publisher_redis.yaml",
			`{spec: {redis: {url: "redis://:secret@redis:6379/0"}}}`,
			"redis.url must not contain user info (credentials)"),
		Entry("redis URL with another scheme", "mfn_v1alpha1_publisher_redis.yaml",
			`{spec: {redis: {url: "http://redis:6379"}}}`,
			"redis.url must look like redis://host:port[/db]"),
		Entry("redis compression", "mfn_v1alpha1_publisher_redis.yaml",
			`{spec: {enableCompression: true}}`,
			"enableCompression is not supported by redis publishers"),
		Entry("rabbitmq user without a password Secret", "mfn_v1alpha1_publisher_rabbitmq.yaml",
			`{spec: {rabbitmq: {passwordSecretRef: null}}}`,
			"rabbitmq.username and rabbitmq.passwordSecretRef must be set together"),
		Entry("rabbitmq URL with credentials", "mfn_v1alpha1_publisher_rabbitmq.yaml",
			`{spec: {rabbitmq: {url: "amqp://guest:guest@rabbitmq:5672/"}}}`,
			"rabbitmq.url must not contain user info (credentials)"),
		Entry("jsonl file name with a directory", "mfn_v1alpha1_publisher_jsonl.yaml",
			`{spec: {jsonl: {fileName: "../escape.jsonl"}}}`,
			"jsonl.fileName must be a file name without '/'"),

		// Pipelines.
		Entry("pipeline without publishers", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {publisherRefs: []}}`,
			"spec.publisherRefs in body should have at least 1 items"),
		Entry("dead-letter publisher also a publisher", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {deadLetterPublisherRef: {name: results-kafka}}}`,
			"deadLetterPublisherRef must not also be listed in publisherRefs"),
		Entry("alpha at the CFL limit", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {simulation: {alpha: "0.25"}}}`,
			"alpha must be at least 0.05 and below 0.25 (CFL stability limit)"),
		Entry("gridSize above the pipeline limit", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {simulation: {gridSize: 512}, limits: {maxGridSize: 256}}}`,
			"simulation.gridSize must not exceed limits.maxGridSize"),
		Entry("steps above the default limit", "mfn_v1alpha1_mfnpipeline_local.yaml",
			`{spec: {simulation: {steps: 5000}}}`,
			"simulation.steps must not exceed limits.maxSteps"),
		Entry("unknown boundary condition", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {simulation: {boundaryCondition: toroidal}}}`,
			`Unsupported value: "toroidal"`),
		Entry("turingThreshold below 0.5", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {simulation: {turingThreshold: "0.4"}}}`,
			"turingThreshold must be between 0.5 and 0.95"),
		Entry("statusInterval below 1s", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {statusInterval: 100ms}}`,
			"statusInterval must be between 1s and 10m"),
		Entry("negative replicas", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {replicas: -1}}`,
			"spec.replicas in body should be greater than or equal to 0"),
		Entry("worker label reserved for the operator", "mfn_v1alpha1_mfnpipeline.yaml",
			`{spec: {worker: {labels: {"app.kubernetes.io/component": other}}}}`,
			"worker.labels must not set mfn.mycelium.io/*, app.kubernetes.io/component or app.kubernetes.io/managed-by"),
	)

	It("accepts every sample in config/samples", func(ctx SpecContext) {
		files := sampleFiles()
		Expect(files).To(HaveLen(11))
		for _, f := range files {
			Expect(create(ctx, sample(f))).To(Succeed(), "sample %s", f)
		}
	})

	It("accepts the boundary values of the ranges", func(ctx SpecContext) {
		conn := sample("mfn_v1alpha1_connector_kafka.yaml")
		mergePatch(conn.Object, `{spec: {maxRetries: 0, backoffMultiplier: "1.0", initialRetryDelay: 0s, maxRetryDelay: 1h}}`)
		Expect(create(ctx, conn)).To(Succeed())

		group := sample("mfn_v1alpha1_connector_kafka.yaml")
		mergePatch(group.Object, `{spec: {kafka: {sessionTimeout: 6s, heartbeatInterval: 5999ms, rebalanceTimeout: 30m}}}`)
		Expect(create(ctx, group)).To(Succeed())

		p := sample("mfn_v1alpha1_mfnpipeline.yaml")
		mergePatch(p.Object, `{spec: {simulation: {alpha: "0.05", gridSize: 1024, steps: 10000,
			turingThreshold: "0.95", jitterVar: "0.01", dActivator: "0.2499"},
			limits: {maxGridSize: 1024, maxSteps: 10000}, replicas: 0}}`)
		Expect(create(ctx, p)).To(Succeed())

		pub := sample("mfn_v1alpha1_publisher_webhook.yaml")
		mergePatch(pub.Object, `{spec: {webhook: {url: "http://receiver.local/hook", allowInsecureHTTP: true}}}`)
		Expect(create(ctx, pub)).To(Succeed())

		flat := sample("mfn_v1alpha1_publisher_kafka.yaml")
		mergePatch(flat.Object, `{spec: {payloadFormat: flat, nonFinite: "null"}}`)
		Expect(create(ctx, flat)).To(Succeed())
	})

	It("fills in the documented defaults", func(ctx SpecContext) {
		conn := &mfnv1alpha1.Connector{
			ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: namespace},
			Spec: mfnv1alpha1.ConnectorSpec{
				Type: mfnv1alpha1.ConnectorKafka,
				Kafka: &mfnv1alpha1.KafkaConnector{
					BootstrapServers: []string{"kafka:9092"}, Topic: "in", GroupID: "g",
				},
			},
		}
		Expect(k8sClient.Create(ctx, conn)).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(conn), conn)).To(Succeed())
		s := conn.Spec
		Expect(s.RetryStrategy).To(Equal(mfnv1alpha1.RetryExponentialBackoff))
		Expect(s.MaxRetries).To(Equal(ptr.To[int32](3)))
		Expect(s.InitialRetryDelay.Duration).To(Equal(time.Second))
		Expect(s.MaxRetryDelay.Duration).To(Equal(time.Minute))
		Expect(s.BackoffMultiplier).To(Equal(mfnv1alpha1.Decimal("2.0")))
		Expect(s.Timeout.Duration).To(Equal(30 * time.Second))
		Expect(s.CircuitBreakerThreshold).To(Equal(ptr.To[int32](5)))
		Expect(s.CircuitBreakerTimeout.Duration).To(Equal(time.Minute))
		Expect(s.Enabled).To(Equal(ptr.To(true)))
		Expect(s.EnableMetrics).To(Equal(ptr.To(true)))
		Expect(s.MaxMessageBytes).To(Equal(ptr.To[int32](1 << 20)))
		Expect(s.Kafka.AutoOffsetReset).To(Equal("earliest"))
		Expect(s.Kafka.EnableAutoCommit).To(Equal(ptr.To(false)), "commit-after-publish by default")
		Expect(s.Kafka.CommitInterval.Duration).To(Equal(5 * time.Second))

		pub := &mfnv1alpha1.Publisher{
			ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: namespace},
			Spec: mfnv1alpha1.PublisherSpec{
				Type:  mfnv1alpha1.PublisherJSONL,
				JSONL: &mfnv1alpha1.JSONLPublisher{Directory: "/out"},
			},
		}
		Expect(k8sClient.Create(ctx, pub)).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pub), pub)).To(Succeed())
		Expect(pub.Spec.DeliveryGuarantee).To(Equal(mfnv1alpha1.AtLeastOnce))
		Expect(pub.Spec.BatchSize).To(Equal(ptr.To[int32](100)))
		Expect(pub.Spec.BatchTimeout.Duration).To(Equal(5 * time.Second))
		Expect(pub.Spec.MaxBufferedMessages).To(BeNil(), "unset means 10 × batchSize")
		Expect(pub.Spec.BlockOnFull).To(Equal(ptr.To(true)))
		Expect(pub.Spec.MaxMessageAge.Duration).To(Equal(time.Hour))
		Expect(pub.Spec.JSONL.FileName).To(Equal("results-{worker}.jsonl"))
		Expect(pub.Spec.PayloadFormat).To(Equal(mfnv1alpha1.PayloadEnvelope))
		Expect(pub.Spec.NonFinite).To(Equal(mfnv1alpha1.NonFiniteReject))

		hook := sample("mfn_v1alpha1_publisher_webhook.yaml")
		mergePatch(hook.Object, `{spec: {webhook: {signatureVersion: null}}}`)
		Expect(create(ctx, hook)).To(Succeed())
		Expect(hook.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("webhook", HaveKeyWithValue("signatureVersion", "v1"))),
			"the timestamped signature is on by default, as in the library")

		rest := sample("mfn_v1alpha1_connector_rest.yaml")
		mergePatch(rest.Object, `{spec: {rest: {conditionalRequests: null, dedupe: null}}}`)
		Expect(create(ctx, rest)).To(Succeed())
		Expect(rest.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("rest", And(
			HaveKeyWithValue("conditionalRequests", true), HaveKeyWithValue("dedupe", true)))))

		db := sample("mfn_v1alpha1_connector_database.yaml")
		mergePatch(db.Object, `{spec: {database: {emit: null}}}`)
		Expect(create(ctx, db)).To(Succeed())
		Expect(db.Object).To(HaveKeyWithValue("spec", HaveKeyWithValue("database", HaveKeyWithValue("emit", "row"))),
			"one message per row by default, as in the library")

		pl := &mfnv1alpha1.MFNPipeline{
			ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: namespace},
			Spec: mfnv1alpha1.MFNPipelineSpec{
				ConnectorRef:  mfnv1alpha1.ComponentReference{Name: "defaults"},
				PublisherRefs: []mfnv1alpha1.ComponentReference{{Name: "defaults"}},
			},
		}
		Expect(k8sClient.Create(ctx, pl)).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pl), pl)).To(Succeed())
		Expect(pl.Spec.Replicas).To(Equal(ptr.To[int32](1)))
		Expect(pl.Spec.Concurrency).To(Equal(ptr.To[int32](1)))
		Expect(pl.Spec.Suspend).To(Equal(ptr.To(false)))
		Expect(pl.Spec.StatusInterval.Duration).To(Equal(10 * time.Second))
		Expect(pl.Spec.Limits).NotTo(BeNil())
		Expect(pl.Spec.Limits.MaxGridSize).To(Equal(ptr.To[int32](256)))
		Expect(pl.Spec.Limits.MaxSteps).To(Equal(ptr.To[int32](1000)))
		Expect(pl.Spec.Simulation).To(BeNil(), "simulation defaults come from the engine")
	})

	It("keeps status in its own subresource", func(ctx SpecContext) {
		pl := minimalPipeline("status")
		Expect(k8sClient.Create(ctx, pl)).To(Succeed())

		now := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
		pl.Status = mfnv1alpha1.MFNPipelineStatus{
			ObservedGeneration: pl.Generation,
			Phase:              mfnv1alpha1.PhaseDegraded,
			Conditions: []metav1.Condition{{
				Type: mfnv1alpha1.ConditionConnectorHealthy, Status: metav1.ConditionFalse,
				Reason: mfnv1alpha1.ReasonCircuitOpen, Message: "1 of 2 workers report the breaker open",
				LastTransitionTime: now, ObservedGeneration: pl.Generation,
			}},
			Replicas: 2, ReadyReplicas: 1,
			ConnectorBreaker: mfnv1alpha1.BreakerOpen,
			Connector: &mfnv1alpha1.ComponentStatus{
				Name: "c", Type: "kafka", Status: mfnv1alpha1.ComponentCircuitOpen,
				Breaker:        mfnv1alpha1.BreakerOpen,
				BreakerWorkers: mfnv1alpha1.BreakerWorkers{Closed: 1, Open: 1},
				ConnectorMetrics: &mfnv1alpha1.ConnectorMetrics{
					MessagesReceived: 1 << 40, ConnectionErrors: 3,
				},
			},
			Totals: mfnv1alpha1.PipelineTotals{Processed: 1 << 40, Failed: 2},
		}
		Expect(k8sClient.Status().Update(ctx, pl)).To(Succeed())

		pl.Spec.Replicas = ptr.To[int32](3)
		pl.Status = mfnv1alpha1.MFNPipelineStatus{}
		Expect(k8sClient.Update(ctx, pl)).To(Succeed())

		got := &mfnv1alpha1.MFNPipeline{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pl), got)).To(Succeed())
		Expect(got.Spec.Replicas).To(Equal(ptr.To[int32](3)))
		Expect(got.Status.Phase).To(Equal(mfnv1alpha1.PhaseDegraded), "a spec update must not clear status")
		Expect(got.Status.Connector.BreakerWorkers.Open).To(Equal(int32(1)))
		Expect(got.Status.Totals.Processed).To(Equal(int64(1<<40)), "counters are int64")
	})

	It("refuses a status whose breaker state is not Closed, Open or HalfOpen", func(ctx SpecContext) {
		pl := minimalPipeline("bad-status")
		Expect(k8sClient.Create(ctx, pl)).To(Succeed())
		pl.Status.ConnectorBreaker = "half_open"
		err := k8sClient.Status().Update(ctx, pl)
		Expect(apierrors.IsInvalid(err)).To(BeTrue(), fmt.Sprint(err))
		Expect(err.Error()).To(ContainSubstring(`Unsupported value: "half_open"`))
	})
})
