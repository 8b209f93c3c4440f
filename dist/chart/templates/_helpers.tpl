{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "mfn-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name, with the chart name appended unless it already contains it. */}}
{{- define "mfn-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{/* Labels selecting the operator pods. */}}
{{- define "mfn-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mfn-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end }}

{{/* Labels of every object of the chart. */}}
{{- define "mfn-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "mfn-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: mfn-operator
{{- end }}

{{- define "mfn-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "mfn-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "mfn-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* The default worker image: worker.image, else the operator image. */}}
{{- define "mfn-operator.workerImage" -}}
{{- default (include "mfn-operator.image" .) .Values.worker.image }}
{{- end }}

{{/* Namespaces that get a worker NetworkPolicy. */}}
{{- define "mfn-operator.workerNamespaces" -}}
{{- $ns := .Values.networkPolicy.namespaces | default .Values.watchNamespaces | default (list .Release.Namespace) }}
{{- toJson $ns }}
{{- end }}
