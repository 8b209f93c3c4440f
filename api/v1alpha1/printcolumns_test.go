package v1alpha1_test

import (
	"encoding/json"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	mfnv1alpha1 "github.com/mfn-io/mfn-operator/api/v1alpha1"
)

// table fetches one object the way kubectl get does (as a meta.k8s.io
// Table) and returns the column names and the row cells. Integer cells
// come back as JSON numbers, hence float64 in the expectations.
func table(ctx SpecContext, resource, name string) ([]string, []any) {
	GinkgoHelper()
	cfg := rest.CopyConfig(restCfg)
	cfg.GroupVersion = &mfnv1alpha1.GroupVersion
	cfg.APIPath = "/apis"
	cfg.NegotiatedSerializer = serializer.NewCodecFactory(k8sClient.Scheme()).WithoutConversion()
	rc, err := rest.RESTClientFor(cfg)
	Expect(err).NotTo(HaveOccurred())
	body, err := rc.Get().Namespace(namespace).Resource(resource).Name(name).
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	Expect(err).NotTo(HaveOccurred())
	var tbl metav1.Table
	Expect(json.Unmarshal(body, &tbl)).To(Succeed())
	var cols []string
	for _, c := range tbl.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	Expect(tbl.Rows).To(HaveLen(1))
	return cols, tbl.Rows[0].Cells
}

var _ = Describe("Printer columns", func() {
	It("show a pipeline's readiness, phase, replicas, connector breaker and throughput", func(ctx SpecContext) {
		pl := minimalPipeline("columns")
		Expect(k8sClient.Create(ctx, pl)).To(Succeed())
		pl.Status = mfnv1alpha1.MFNPipelineStatus{
			Phase: mfnv1alpha1.PhaseDegraded,
			Conditions: []metav1.Condition{
				{Type: mfnv1alpha1.ConditionConfigValid, Status: metav1.ConditionTrue, Reason: mfnv1alpha1.ReasonReconciled,
					LastTransitionTime: metav1.NewTime(time.Now())},
				{Type: mfnv1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: mfnv1alpha1.ReasonCircuitOpen,
					LastTransitionTime: metav1.NewTime(time.Now())},
			},
			Replicas: 3, ReadyReplicas: 2,
			ConnectorBreaker: mfnv1alpha1.BreakerOpen,
			Totals:           mfnv1alpha1.PipelineTotals{Processed: 1234, Failed: 5},
		}
		Expect(k8sClient.Status().Update(ctx, pl)).To(Succeed())

		cols, cells := table(ctx, "mfnpipelines", "columns")
		Expect(cols).To(Equal([]string{"Name", "Ready", "Phase", "Replicas", "Connector", "Processed", "Failed", "Age"}))
		Expect(cells[:7]).To(Equal([]any{"columns", "False", "Degraded", 2.0, "Open", 1234.0, 5.0}))
	})

	It("show a connector's type, breaker and pipeline count", func(ctx SpecContext) {
		conn := &mfnv1alpha1.Connector{
			ObjectMeta: metav1.ObjectMeta{Name: "columns", Namespace: namespace},
			Spec: mfnv1alpha1.ConnectorSpec{
				Type: mfnv1alpha1.ConnectorFile,
				File: &mfnv1alpha1.FileConnector{Directory: "/in"},
			},
		}
		Expect(k8sClient.Create(ctx, conn)).To(Succeed())
		conn.Status = mfnv1alpha1.ConnectorStatus{
			Breaker:   mfnv1alpha1.BreakerSummary{State: mfnv1alpha1.BreakerHalfOpen, Workers: mfnv1alpha1.BreakerWorkers{HalfOpen: 1, Closed: 2}},
			UsedBy:    []string{"a", "b"},
			Pipelines: 2,
		}
		Expect(k8sClient.Status().Update(ctx, conn)).To(Succeed())

		cols, cells := table(ctx, "connectors", "columns")
		Expect(cols).To(Equal([]string{"Name", "Type", "Breaker", "Pipelines", "Age"}))
		Expect(cells[:4]).To(Equal([]any{"columns", "file", "HalfOpen", 2.0}))
	})

	It("show a publisher's type, breaker and messages sent", func(ctx SpecContext) {
		pub := &mfnv1alpha1.Publisher{
			ObjectMeta: metav1.ObjectMeta{Name: "columns", Namespace: namespace},
			Spec: mfnv1alpha1.PublisherSpec{
				Type:      mfnv1alpha1.PublisherJSONL,
				JSONL:     &mfnv1alpha1.JSONLPublisher{Directory: "/out"},
				BatchSize: ptr.To[int32](1),
			},
		}
		Expect(k8sClient.Create(ctx, pub)).To(Succeed())
		pub.Status = mfnv1alpha1.PublisherStatus{
			Breaker:   mfnv1alpha1.BreakerSummary{State: mfnv1alpha1.BreakerClosed},
			Metrics:   &mfnv1alpha1.PublisherMetrics{MessagesSent: 99},
			Pipelines: 1,
		}
		Expect(k8sClient.Status().Update(ctx, pub)).To(Succeed())

		cols, cells := table(ctx, "publishers", "columns")
		Expect(cols).To(Equal([]string{"Name", "Type", "Breaker", "Sent", "Pipelines", "Age"}))
		Expect(cells[:4]).To(Equal([]any{"columns", "jsonl", "Closed", 99.0}))
	})
})
