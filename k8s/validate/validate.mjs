#!/usr/bin/env node
// Checks Kubernetes objects offline, as an API server with strict field validation would take them:
//
//   kubectl kustomize k8s/overlays/prod | node k8s/validate/validate.mjs
//   node k8s/validate/validate.mjs rendered.yaml [more.yaml ...] [--kube-version 1.32]
//
// Reads multi-document YAML (files, or standard input when none or "-" is given) and checks every object:
//   - against the Kubernetes OpenAPI schemas that kubernetes-models ships (types, required fields, enums,
//     formats such as quantities): its classes' validate();
//   - for fields no schema has (a typo such as spec.replica), which those validators let through but
//     `kubectl apply` refuses ("strict decoding error: unknown field"), see findUnknownFields below;
//   - for API versions that the target Kubernetes release no longer serves (--kube-version, default 1.32);
//   - for the most common rules the API server enforces in code rather than in the schema (names, labels,
//     a workload's selector matching its pod template, container and port names, requests within limits,
//     value and valueFrom together, ...), see checkSemantics.
// Prints every object that fails as "FAIL Kind/name (namespace)" followed by its problems, one per line, and
// exits 1 when any object failed, 2 when the input could not be read or parsed, 0 when all are valid.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const USAGE = "usage: validate.mjs [FILE|- ...] [--kube-version MAJOR.MINOR]";

// ---------------------------------------------------------------------------------------------------------
// Arguments and input

function parseArguments(argv) {
  const files = [];
  let kubeVersion = "1.32";
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === "--kube-version" && i + 1 < argv.length) {
      kubeVersion = argv[++i];
    } else if (argument.startsWith("--kube-version=")) {
      kubeVersion = argument.slice("--kube-version=".length);
    } else if (argument === "--help" || argument === "-h") {
      console.log(USAGE);
      process.exit(0);
    } else if (argument.startsWith("--")) {
      fail(`unknown option ${argument}\n${USAGE}`);
    } else {
      files.push(argument);
    }
  }
  const match = /^1\.(\d+)$/.exec(kubeVersion);
  if (!match) {
    fail(`--kube-version takes MAJOR.MINOR such as 1.32, not ${kubeVersion}`);
  }
  return { files: files.length ? files : ["-"], kubeMinor: Number(match[1]) };
}

function fail(message) {
  console.error(`validate: ${message}`);
  process.exit(2);
}

/** Every object in the YAML documents of one source; a `v1 List` stands for its items. */
function readObjects(source) {
  let text;
  try {
    text = readFileSync(source === "-" ? 0 : source, "utf8");
  } catch (error) {
    fail(`cannot read ${source === "-" ? "standard input" : source}: ${error.message}`);
  }
  const objects = [];
  // YAML 1.1, as the API server reads it (sigs.k8s.io/yaml): `yes` is a boolean and 0400 octal. uniqueKeys
  // (the default) refuses a key given twice in one mapping, as the API server's strict decoding does.
  parseAllDocuments(text, { prettyErrors: true, version: "1.1" }).forEach((document, index) => {
    const where = `${source === "-" ? "stdin" : source}, document ${index + 1}`;
    if (document.errors.length) {
      fail(`${where} is not valid YAML: ${document.errors.map((e) => e.message).join("; ")}`);
    }
    const value = document.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) {
      return; // an empty document, such as after a trailing "---"
    }
    if (value && value.apiVersion === "v1" && value.kind === "List" && Array.isArray(value.items)) {
      value.items.forEach((item, i) => objects.push({ object: item, where: `${where}, item ${i + 1}` }));
    } else {
      objects.push({ object: value, where });
    }
  });
  return objects;
}

// ---------------------------------------------------------------------------------------------------------
// Schemas

/**
 * The kubernetes-models class of an apiVersion and kind, whose prototype's validate() runs its schema, or null
 * when there is none. Each class is its own module (kubernetes-models/apps/v1/Deployment.js), so only the kinds
 * in the input are loaded: importing the whole package costs a second.
 */
async function modelOf(apiVersion, kind) {
  if (!/^([a-z0-9-]+(\.[a-z0-9-]+)*\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion) || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) {
    return null;
  }
  try {
    const model = (await import(`kubernetes-models/${apiVersion}/${kind}`))[kind];
    return model && model.apiVersion === apiVersion && model.kind === kind ? model : null;
  } catch (error) {
    if (error.code === "ERR_MODULE_NOT_FOUND" || error.code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      return null;
    }
    throw error;
  }
}

// API versions that Kubernetes stopped serving, and the minor release that removed them
// (https://kubernetes.io/docs/reference/using-api/deprecation-guide/). kubernetes-models still has their
// schemas, so an old manifest would pass them and then be refused by the cluster.
const REMOVED_APIS = [
  ["extensions/v1beta1", "*", 22],
  ["apps/v1beta1", "*", 16],
  ["apps/v1beta2", "*", 16],
  ["networking.k8s.io/v1beta1", "Ingress IngressClass", 22],
  ["admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration", 22],
  ["apiextensions.k8s.io/v1beta1", "*", 22],
  ["apiregistration.k8s.io/v1beta1", "*", 22],
  ["authentication.k8s.io/v1beta1", "TokenReview", 22],
  ["authorization.k8s.io/v1beta1", "*", 22],
  ["certificates.k8s.io/v1beta1", "CertificateSigningRequest", 22],
  ["coordination.k8s.io/v1beta1", "Lease", 22],
  ["rbac.authorization.k8s.io/v1beta1", "*", 22],
  ["scheduling.k8s.io/v1beta1", "*", 22],
  ["storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment", 22],
  ["storage.k8s.io/v1beta1", "CSIStorageCapacity", 27],
  ["batch/v1beta1", "*", 25],
  ["discovery.k8s.io/v1beta1", "*", 25],
  ["events.k8s.io/v1beta1", "*", 25],
  ["autoscaling/v2beta1", "*", 25],
  ["autoscaling/v2beta2", "*", 26],
  ["policy/v1beta1", "*", 25],
  ["node.k8s.io/v1beta1", "*", 25],
  ["flowcontrol.apiserver.k8s.io/v1beta1", "*", 26],
  ["flowcontrol.apiserver.k8s.io/v1beta2", "*", 29],
  ["flowcontrol.apiserver.k8s.io/v1beta3", "*", 32],
];

function removedIn(apiVersion, kind) {
  for (const [version, kinds, minor] of REMOVED_APIS) {
    if (version === apiVersion && (kinds === "*" || kinds.split(" ").includes(kind))) {
      return minor;
    }
  }
  return null;
}

/** JSON pointer segment (RFC 6901). */
const pointer = (key) => String(key).replaceAll("~", "~0").replaceAll("/", "~1");

/**
 * A copy of `value` whose objects record which of their keys were looked at. The schema validators are
 * ajv's compiled code: they read every property their schema names (present or not) and enumerate the keys
 * of maps (labels, data); properties outside the schema they never touch. So, after validating, a key that
 * was never read in an object that was looked at is a field the schema does not have. An object nobody
 * looked at has no schema of its own (free-form, like a RawExtension) and is left alone.
 */
function trackReads(value, path, records) {
  if (Array.isArray(value)) {
    return value.map((item, i) => trackReads(item, `${path}/${i}`, records));
  }
  if (value === null || typeof value !== "object") {
    return value;
  }
  const record = { path, keys: Object.keys(value), read: new Set(), enumerated: false };
  records.push(record);
  const target = {};
  for (const key of record.keys) {
    target[key] = trackReads(value[key], `${path}/${pointer(key)}`, records);
  }
  return new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.get(t, key, receiver);
    },
    has(t, key) {
      if (typeof key === "string") record.read.add(key);
      return Reflect.has(t, key);
    },
    ownKeys(t) {
      record.enumerated = true;
      return Reflect.ownKeys(t);
    },
  });
}

/**
 * Fields the compiled validators never read although the schemas have them: kubernetes-models' generator
 * drops properties named "description" and "x-kubernetes-*" (it takes them for schema annotations), which
 * only these kinds have.
 */
function unreadButKnown(kind, path, key) {
  if (kind === "CustomResourceDefinition") {
    return key === "description" || key.startsWith("x-kubernetes-");
  }
  return kind === "PriorityClass" && path === "" && key === "description";
}

function findUnknownFields(kind, records) {
  const problems = [];
  for (const record of records) {
    if (record.enumerated || record.read.size === 0) {
      continue; // a map, whose keys are free; or an object without a schema
    }
    for (const key of record.keys) {
      if (!record.read.has(key) && !unreadButKnown(kind, record.path, key)) {
        problems.push(`${record.path || "/"}/${pointer(key)}: unknown field "${key}"`.replace("//", "/"));
      }
    }
  }
  return problems;
}

function describeSchemaError(error) {
  const where = error.instancePath || "/";
  let message = error.message || error.keyword;
  if (error.keyword === "enum" && error.params?.allowedValues) {
    message += `: ${error.params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (error.keyword === "format" && error.params?.format) {
    message = `must be a valid ${error.params.format}`;
  }
  return `${where}: ${message}`;
}

function checkSchema(model, object) {
  const records = [];
  const tracked = trackReads(object, "", records);
  const problems = [];
  try {
    model.prototype.validate.call(tracked);
  } catch (error) {
    if (!Array.isArray(error.errors)) {
      throw error;
    }
    // A field that may take two types (int-or-string, quantities) fails each branch of a oneOf: one line for
    // it, naming what would have done.
    const alternatives = new Map();
    for (const e of error.errors) {
      if (e.keyword !== "oneOf" && error.errors.some((o) => o.keyword === "oneOf" && o.instancePath === e.instancePath)) {
        alternatives.set(e.instancePath, [...(alternatives.get(e.instancePath) || []), describeSchemaError(e).replace(/^[^:]*: /, "")]);
      }
    }
    for (const e of error.errors) {
      if (e.keyword === "oneOf") {
        problems.push(`${e.instancePath || "/"}: ${(alternatives.get(e.instancePath) || [e.message]).join(", or ")}`.replace(/, or must /g, ", or "));
      } else if (!alternatives.has(e.instancePath)) {
        problems.push(describeSchemaError(e));
      }
    }
  }
  problems.push(...findUnknownFields(object.kind, records));
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Rules the API server checks in code (k8s.io/apimachinery/pkg/util/validation, pkg/apis/*/validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** Kinds whose names are DNS-1035 or DNS-1123 labels rather than subdomains. */
const LABEL_NAMED_KINDS = { Service: DNS1035_LABEL, Namespace: DNS1123_LABEL };
/** Kinds that hold a pod template at spec.template. */
const POD_TEMPLATE_KINDS = new Set(["Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"]);

function checkQualifiedName(key, where, problems) {
  const slash = key.lastIndexOf("/");
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [null, key];
  if (prefix !== null && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) {
    problems.push(`${where}: key "${key}" has an invalid prefix (a DNS subdomain, lower case)`);
  }
  if (name.length === 0 || name.length > 63 || !QUALIFIED_NAME.test(name)) {
    problems.push(`${where}: key "${key}" is not a valid name (63 characters at most, alphanumeric, "-", "_" or "." inside)`);
  }
}

function checkLabels(labels, where, problems) {
  if (!labels || typeof labels !== "object") return;
  for (const [key, value] of Object.entries(labels)) {
    checkQualifiedName(key, where, problems);
    if (typeof value === "string" && (value.length > 63 || !LABEL_VALUE.test(value))) {
      problems.push(`${where}/${pointer(key)}: "${value}" is not a valid label value (63 characters at most, alphanumeric, "-", "_" or "." inside)`);
    }
  }
}

function checkMetadata(object, problems) {
  const metadata = object.metadata;
  if (!metadata || typeof metadata !== "object") {
    problems.push("/metadata: must be present, with a name");
    return;
  }
  const name = metadata.name;
  if (typeof name !== "string" || name === "") {
    problems.push("/metadata/name: must be present (kubectl apply needs a name)");
  } else {
    const rule = LABEL_NAMED_KINDS[object.kind];
    if (rule ? name.length > 63 || !rule.test(name) : name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
      problems.push(`/metadata/name: "${name}" is not a valid ${object.kind} name (${rule ? "a DNS label" : "a DNS subdomain"}: lower case alphanumeric and "-")`);
    }
  }
  if (metadata.namespace !== undefined && (typeof metadata.namespace !== "string" || !DNS1123_LABEL.test(metadata.namespace))) {
    problems.push(`/metadata/namespace: "${metadata.namespace}" is not a valid namespace name`);
  }
  checkLabels(metadata.labels, "/metadata/labels", problems);
  if (metadata.annotations && typeof metadata.annotations === "object") {
    for (const key of Object.keys(metadata.annotations)) {
      checkQualifiedName(key, "/metadata/annotations", problems);
    }
  }
}

/** Whether a label selector (matchLabels, matchExpressions) selects a set of labels. */
function selects(selector, labels) {
  labels = labels || {};
  for (const [key, value] of Object.entries(selector.matchLabels || {})) {
    if (labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions || []) {
    const present = Object.prototype.hasOwnProperty.call(labels, expression.key);
    const values = expression.values || [];
    const ok = {
      In: present && values.includes(labels[expression.key]),
      NotIn: !present || !values.includes(labels[expression.key]),
      Exists: present,
      DoesNotExist: !present,
    }[expression.operator];
    if (!ok) return false;
  }
  return true;
}

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const QUANTITY_FACTORS = {
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
  n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
};

/** A resource quantity ("250m", "1Gi", 2) as a number, or null when it is not one (the schema says so). */
function quantity(value) {
  if (typeof value === "number") return value;
  const match = typeof value === "string" ? QUANTITY.exec(value) : null;
  if (!match) return null;
  const suffix = match[2] || "";
  const factor = suffix === "" ? 1 : /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_FACTORS[suffix];
  return Number(match[1]) * factor;
}

function checkContainer(container, where, volumeNames, problems) {
  if (!container || typeof container !== "object") return;
  const ports = new Set();
  (container.ports || []).forEach((port, i) => {
    if (port?.name === undefined) return;
    if (typeof port.name !== "string" || port.name.length > 15 || !IANA_SVC_NAME.test(port.name)) {
      problems.push(`${where}/ports/${i}/name: "${port.name}" is not a valid port name (15 characters at most, lower case, a letter in it)`);
    } else if (ports.has(port.name)) {
      problems.push(`${where}/ports/${i}/name: "${port.name}" is used twice`);
    }
    ports.add(port.name);
  });
  (container.env || []).forEach((variable, i) => {
    if (variable?.value !== undefined && variable?.valueFrom !== undefined) {
      problems.push(`${where}/env/${i}: "${variable.name}" has both value and valueFrom`);
    }
  });
  (container.volumeMounts || []).forEach((mount, i) => {
    if (mount?.name !== undefined && !volumeNames.has(mount.name)) {
      problems.push(`${where}/volumeMounts/${i}/name: no volume named "${mount.name}" in the pod`);
    }
  });
  const requests = container.resources?.requests || {};
  const limits = container.resources?.limits || {};
  for (const [resource, limit] of Object.entries(limits)) {
    const request = requests[resource];
    if (request !== undefined && quantity(request) !== null && quantity(limit) !== null && quantity(request) > quantity(limit)) {
      problems.push(`${where}/resources/requests/${resource}: ${request} is more than the limit, ${limit}`);
    }
  }
}

function checkPodSpec(spec, where, problems, claimNames = []) {
  if (!spec || typeof spec !== "object") return;
  // A StatefulSet's volumeClaimTemplates are volumes of its pods too.
  const volumeNames = new Set(claimNames);
  (spec.volumes || []).forEach((volume, i) => {
    if (volumeNames.has(volume?.name)) {
      problems.push(`${where}/volumes/${i}/name: "${volume.name}" is used twice`);
    }
    volumeNames.add(volume?.name);
  });
  const containerNames = new Set();
  for (const field of ["initContainers", "containers"]) {
    (spec[field] || []).forEach((container, i) => {
      const name = container?.name;
      if (typeof name === "string") {
        if (name.length > 63 || !DNS1123_LABEL.test(name)) {
          problems.push(`${where}/${field}/${i}/name: "${name}" is not a valid container name (a DNS label)`);
        } else if (containerNames.has(name)) {
          problems.push(`${where}/${field}/${i}/name: "${name}" is used twice`);
        }
        containerNames.add(name);
      }
      checkContainer(container, `${where}/${field}/${i}`, volumeNames, problems);
    });
  }
  if (Array.isArray(spec.containers) && spec.containers.length === 0) {
    problems.push(`${where}/containers: must have at least one container`);
  }
}

function checkSemantics(object, problems) {
  checkMetadata(object, problems);
  const spec = object.spec;
  if (!spec || typeof spec !== "object") return;
  if (object.kind === "Pod") {
    checkPodSpec(spec, "/spec", problems);
  }
  if (object.kind === "CronJob") {
    checkPodSpec(spec.jobTemplate?.spec?.template?.spec, "/spec/jobTemplate/spec/template/spec", problems);
  }
  if (POD_TEMPLATE_KINDS.has(object.kind)) {
    const template = spec.template;
    checkLabels(template?.metadata?.labels, "/spec/template/metadata/labels", problems);
    const claimNames = object.kind === "StatefulSet" ? (spec.volumeClaimTemplates || []).map((claim) => claim?.metadata?.name) : [];
    checkPodSpec(template?.spec, "/spec/template/spec", problems, claimNames);
    const selector = spec.selector;
    if (selector && typeof selector === "object" && object.kind !== "Job") {
      checkLabels(selector.matchLabels, "/spec/selector/matchLabels", problems);
      if (!selector.matchLabels && !selector.matchExpressions) {
        problems.push("/spec/selector: must not be empty");
      } else if (!selects(selector, template?.metadata?.labels)) {
        problems.push("/spec/selector: does not match the pod template's labels (/spec/template/metadata/labels)");
      }
    }
  }
  if (object.kind === "Service" && Array.isArray(spec.ports)) {
    const names = new Set();
    spec.ports.forEach((port, i) => {
      if (spec.ports.length > 1 && !port?.name) {
        problems.push(`/spec/ports/${i}/name: must be set when a Service has more than one port`);
      }
      if (port?.name && names.has(port.name)) {
        problems.push(`/spec/ports/${i}/name: "${port.name}" is used twice`);
      }
      names.add(port?.name);
    });
  }
  if (object.kind === "HorizontalPodAutoscaler" && Number.isInteger(spec.minReplicas) && Number.isInteger(spec.maxReplicas)) {
    if (spec.minReplicas < 1) problems.push("/spec/minReplicas: must be at least 1");
    if (spec.minReplicas > spec.maxReplicas) problems.push("/spec/minReplicas: must not be more than maxReplicas");
  }
  if (object.kind === "PodDisruptionBudget" && spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    problems.push("/spec: minAvailable and maxUnavailable cannot both be set");
  }
}

// ---------------------------------------------------------------------------------------------------------

async function validate(object, kubeMinor) {
  if (!object || typeof object !== "object" || Array.isArray(object)) {
    return { label: "(not an object)", problems: ["/: must be a mapping with apiVersion, kind and metadata"] };
  }
  const { apiVersion, kind } = object;
  const label = `${kind ?? "(no kind)"}/${object.metadata?.name ?? "(no name)"}${object.metadata?.namespace ? ` (${object.metadata.namespace})` : ""}`;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return { label, problems: ["/: apiVersion and kind must be set"] };
  }
  const removed = removedIn(apiVersion, kind);
  if (removed !== null && removed <= kubeMinor) {
    return { label, problems: [`/apiVersion: ${apiVersion} ${kind} is no longer served since Kubernetes 1.${removed}`] };
  }
  const model = await modelOf(apiVersion, kind);
  if (!model) {
    return { label, problems: [`/: no schema for ${apiVersion} ${kind}: not a built-in Kubernetes type (a typo, or a custom resource this check cannot see)`] };
  }
  const problems = checkSchema(model, object);
  checkSemantics(object, problems);
  return { label, problems };
}

const { files, kubeMinor } = parseArguments(process.argv.slice(2));
const objects = files.flatMap(readObjects);
let failed = 0;
for (const { object, where } of objects) {
  const { label, problems } = await validate(object, kubeMinor);
  if (problems.length) {
    failed++;
    console.log(`FAIL ${label} [${where}]`);
    for (const problem of [...new Set(problems)]) {
      console.log(`  ${problem}`);
    }
  }
}
if (objects.length === 0) {
  console.log("no objects found");
  process.exit(2);
}
const objectsText = `${objects.length} object${objects.length === 1 ? "" : "s"}`;
console.log(failed
  ? `${failed} of ${objectsText} would be rejected by Kubernetes 1.${kubeMinor}`
  : `${objectsText} valid for Kubernetes 1.${kubeMinor}`);
process.exit(failed ? 1 : 0);
