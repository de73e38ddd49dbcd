{{- define "gateway.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{ end }}
{{- end }}

{{- define "gateway.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "gateway.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gateway.secretName" -}}
{{- .Values.existingSecret | default (include "gateway.fullname" .) }}
{{- end }}

{{/* The configuration as given (comments kept). */}}
{{- define "gateway.config" -}}
{{- .Values.config | default (.Files.Get "files/litellm_config.yaml") }}
{{- end }}

{{/* The gateway pods' configuration with the GPU split: each embedding group points at the embedding
deployment's OpenAI-compatible /v1 (docs/SCALING.md), and no embedding model is held here. */}}
{{- define "gateway.frontConfig" -}}
{{- $cfg := include "gateway.config" . | fromYaml }}
{{- $base := printf "http://%s-embeddings:%v/v1" (include "gateway.fullname" .) .Values.service.port }}
{{- $models := list }}
{{- range $cfg.model_list }}
{{- if hasPrefix "embedding_server/" (toString .litellm_params.model) }}
{{- $name := trimPrefix "embedding_server/" .litellm_params.model }}
{{- $_ := set . "litellm_params" (dict "model" (printf "openai/%s" $name) "api_base" $base "api_key" "os.environ/LITELLM_MASTER_KEY") }}
{{- end }}
{{- $models = append $models . }}
{{- end }}
{{- $_ := set $cfg "model_list" $models }}
{{- $_ := set $cfg.gateway.embeddings "enabled" false }}
{{- toYaml $cfg }}
{{- end }}

{{/* Environment shared by the gateway and the embedding pods. */}}
{{- define "gateway.env" -}}
- {name: LITELLM_MASTER_KEY, valueFrom: {secretKeyRef: {name: {{ include "gateway.secretName" . }}, key: LITELLM_MASTER_KEY}}}
- {name: GEMINI_API_KEY, valueFrom: {secretKeyRef: {name: {{ include "gateway.secretName" . }}, key: GEMINI_API_KEY, optional: true}}}
- {name: DATABASE_URL, valueFrom: {secretKeyRef: {name: {{ include "gateway.secretName" . }}, key: DATABASE_URL, optional: true}}}
- {name: REDIS_URL, valueFrom: {secretKeyRef: {name: {{ include "gateway.secretName" . }}, key: REDIS_URL, optional: true}}}
- {name: OLLAMA_API_BASE, value: {{ .Values.ollamaApiBase | quote }}}
- {name: PORT, value: {{ .Values.service.port | quote }}}
{{- range $name, $value := .Values.env }}
- {name: {{ $name }}, value: {{ $value | toString | quote }}}
{{- end }}
{{- end }}
