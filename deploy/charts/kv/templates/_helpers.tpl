{{/*
Chart name, truncated to the 63 characters a label value allows.
*/}}
{{- define "kv.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of every object: the release name when it already contains the
chart name (release kv, chart kv => kv), else release-chart.
*/}}
{{- define "kv.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version for the helm.sh/chart label.
*/}}
{{- define "kv.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels on every object: none of them changes with a release, so a promote
patches the pod template only.
*/}}
{{- define "kv.labels" -}}
{{ include "kv.selectorLabels" . }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kv
{{- end }}

{{/*
Version labels, on the pod template only (they change with every release).
*/}}
{{- define "kv.versionLabels" -}}
helm.sh/chart: {{ include "kv.chart" . }}
app.kubernetes.io/version: {{ include "kv.imageVersion" . | quote }}
{{- end }}

{{/*
Labels that select the pods; never change them on a running release
(a Deployment's selector is immutable).
*/}}
{{- define "kv.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kv.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the Kubernetes service account the pods run as.
*/}}
{{- define "kv.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "kv.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: by digest whenever a digest is given (a digest that is
not sha256:<64 hex> is refused), by tag otherwise unless image.requireDigest.
*/}}
{{- define "kv.image" -}}
{{- $image := .Values.image }}
{{- if $image.digest }}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" $image.digest) }}
{{- fail (printf "image.digest must be sha256:<64 lowercase hex>, got %q" $image.digest) }}
{{- end }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else if $image.requireDigest }}
{{- fail "image.digest is required (image.requireDigest is true): deploy by digest, written to image.yaml by tools/promote" }}
{{- else }}
{{- printf "%s:%s" $image.repository (default .Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/*
A short version label: the first 12 hex of the digest, else the tag.
*/}}
{{- define "kv.imageVersion" -}}
{{- if .Values.image.digest }}
{{- .Values.image.digest | trimPrefix "sha256:" | trunc 12 }}
{{- else }}
{{- default .Chart.AppVersion .Values.image.tag }}
{{- end }}
{{- end }}

{{/*
Whether any Secret Manager secret is mounted (and so a SecretProviderClass exists).
*/}}
{{- define "kv.hasSecrets" -}}
{{- if or .Values.redis.caSecret .Values.redis.passwordSecret .Values.auth.tokensSecret }}true{{- end }}
{{- end }}

{{/*
The secrets to mount: file name => Secret Manager secret name.
*/}}
{{- define "kv.secretFiles" -}}
{{- $files := dict }}
{{- with .Values.redis.caSecret }}{{ $_ := set $files "redis-ca.pem" . }}{{ end }}
{{- with .Values.redis.passwordSecret }}{{ $_ := set $files "redis-password" . }}{{ end }}
{{- with .Values.auth.tokensSecret }}{{ $_ := set $files "write-tokens" . }}{{ end }}
{{- toYaml $files }}
{{- end }}

{{/*
Checks across values that the schema cannot express; rendered by the Deployment.
*/}}
{{- define "kv.validate" -}}
{{- $v := .Values }}
{{- if and (include "kv.hasSecrets" .) (not $v.secretManager.project) }}
{{- fail "secretManager.project is required when redis.caSecret, redis.passwordSecret or auth.tokensSecret is set" }}
{{- end }}
{{- if and (eq $v.redis.auth "password") (not $v.redis.passwordSecret) }}
{{- fail "redis.auth=password needs redis.passwordSecret (the password is mounted from Secret Manager, never put in values)" }}
{{- end }}
{{- if and $v.redis.caSecret (not (hasPrefix "rediss://" $v.redis.url)) }}
{{- fail "redis.caSecret is set but redis.url is not rediss:// (TLS)" }}
{{- end }}
{{- $drain := 0 }}
{{- if $v.gateway.enabled }}{{ $drain = int $v.gateway.backendPolicy.connectionDrainingSeconds }}{{ end }}
{{- $needed := add (max $drain (int $v.shutdown.preStopSleepSeconds)) (int $v.gunicorn.gracefulTimeoutSeconds) }}
{{- if le (int $v.shutdown.terminationGracePeriodSeconds) $needed }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds (%d) must exceed max(connection draining, preStop sleep) + gunicorn graceful timeout (%d)" (int $v.shutdown.terminationGracePeriodSeconds) $needed) }}
{{- end }}
{{- end }}
