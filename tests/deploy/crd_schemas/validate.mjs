// Validates custom resources against the schemas of their CRDs, as shipped by
// @kubernetes-models/prometheus-operator and @kubernetes-models/keda (generated from the
// projects' own API types).
// Reads a JSON array of objects on stdin; prints a JSON array with one entry per object:
// {"kind", "name", "errors": [...]} ("errors" empty when valid, null for an unknown kind).
import * as v1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import * as v1alpha1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1alpha1";
import * as v1beta1 from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1beta1";
import * as keda from "@kubernetes-models/keda/keda.sh/v1alpha1";

const byVersion = {
  "monitoring.coreos.com/v1": v1,
  "monitoring.coreos.com/v1alpha1": v1alpha1,
  "monitoring.coreos.com/v1beta1": v1beta1,
  "keda.sh/v1alpha1": keda,
};

let input = "";
for await (const chunk of process.stdin) input += chunk;

const results = JSON.parse(input).map((object) => {
  const model = byVersion[object.apiVersion]?.[object.kind];
  const result = { kind: object.kind, name: object.metadata?.name ?? null };
  if (typeof model !== "function") return { ...result, errors: null };
  try {
    new model(object).validate();
    return { ...result, errors: [] };
  } catch (error) {
    const details = error.errors ?? [];
    const lines = details.length
      ? details.map((e) => `${e.instancePath || "/"} ${e.message}`)
      : [String(error.message)];
    return { ...result, errors: lines };
  }
});
process.stdout.write(JSON.stringify(results));
