#!/usr/bin/env node
// What each cdk-nag pack checked, and what it found compliant or not applicable.
//
//   node coverage.js ASSEMBLY_DIR PACK [PACK ...]   -> JSON on stdout (see `main`)
//
// cdk-nag 3 reports only failures: NagPack.applyRule evaluates a rule and records a violation
// when it is not compliant. Here each pack's rules run again in JavaScript on the synthesized
// templates (loaded with cloudformation-include, which creates real CfnResource constructs), and
// applyRule is replaced on the pack instance by one that records every result. Doing this from
// Python would cost one jsii callback per rule and resource.
//
// Only the public packs run here; the project's own pack is Python and is counted in Python.
"use strict";

const fs = require("fs");
const os = require("os");
const path = require("path");
const cdk = require("aws-cdk-lib");
const { CfnInclude } = require("aws-cdk-lib/cloudformation-include");
const nag = require("cdk-nag");

const PACKS = {
  AwsSolutions: nag.AwsSolutionsChecks,
  "NIST.800.53.R5": nag.NIST80053R5Checks,
  "HIPAA.Security": nag.HIPAASecurityChecks,
  "PCI.DSS.321": nag.PCIDSS321Checks,
};

function stackArtifacts(directory) {
  const manifest = JSON.parse(fs.readFileSync(path.join(directory, "manifest.json"), "utf8"));
  const out = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts || {})) {
    const props = artifact.properties || {};
    if (artifact.type === "cdk:cloud-assembly" && props.directoryName) {
      out.push(...stackArtifacts(path.join(directory, props.directoryName)));
    } else if (artifact.type === "aws:cloudformation:stack") {
      out.push({
        name,
        environment: artifact.environment || "",
        templateFile: path.join(directory, props.templateFile || `${name}.template.json`),
      });
    }
  }
  return out;
}

// cloudformation-include refuses intrinsics it does not model (e.g. Fn::GetStackOutput, which
// CDK emits for cross-region references). Such a value becomes a plain string here: a rule that
// inspects it sees a literal instead of an intrinsic (docs/audit.md, "How coverage is counted").
function replaceFunctions(value, names) {
  if (Array.isArray(value)) return value.map((item) => replaceFunctions(item, names));
  if (value && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && names.has(keys[0])) return `${keys[0]}:${JSON.stringify(value[keys[0]])}`;
    const out = {};
    for (const key of keys) out[key] = replaceFunctions(value[key], names);
    return out;
  }
  return value;
}

// A stack with the artifact's template included; a failed attempt's stack is removed, so that no
// half-included resource is evaluated.
function includeTemplate(app, artifact, scratch) {
  const unsupported = new Set(["Fn::GetStackOutput"]);
  const template = JSON.parse(fs.readFileSync(artifact.templateFile, "utf8"));
  for (let attempt = 0; ; attempt += 1) {
    const file = path.join(scratch, `${artifact.name}.${attempt}.json`);
    fs.writeFileSync(file, JSON.stringify(replaceFunctions(template, unsupported)));
    const stack = new cdk.Stack(app, artifact.name, { env: environmentOf(artifact.environment) });
    try {
      return new CfnInclude(stack, "Template", { templateFile: file });
    } catch (error) {
      app.node.tryRemoveChild(artifact.name);
      const match = /Unsupported CloudFormation function '([^']+)'/.exec(error.message);
      if (!match || unsupported.has(match[1]) || attempt >= 5) throw error;
      unsupported.add(match[1]);
    }
  }
}

function environmentOf(uri) {
  const match = /^aws:\/\/([^/]+)\/([^/]+)$/.exec(uri);
  if (!match || match[1].startsWith("unknown") || match[2].startsWith("unknown")) {
    return undefined;
  }
  return { account: match[1], region: match[2] };
}

function outcomeOf(result) {
  if (Array.isArray(result)) return result.length ? "non_compliant" : "compliant";
  if (result === nag.NagRuleCompliance.COMPLIANT) return "compliant";
  if (result === nag.NagRuleCompliance.NOT_APPLICABLE) return "not_applicable";
  return "non_compliant";
}

function main() {
  const [directory, ...packNames] = process.argv.slice(2);
  if (!directory) {
    process.stderr.write("usage: coverage.js ASSEMBLY_DIR PACK [PACK ...]\n");
    process.exit(2);
  }
  const app = new cdk.App();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "audit-coverage-"));
  const resourceOf = new Map(); // CfnResource -> [stack, logicalId]
  const errors = [];
  for (const artifact of stackArtifacts(directory)) {
    try {
      const include = includeTemplate(app, artifact, scratch);
      for (const child of include.node.children) {
        if (cdk.CfnResource.isCfnResource(child)) resourceOf.set(child, [artifact.name, child.node.id]);
      }
    } catch (error) {
      errors.push(`${artifact.name}: the template could not be loaded (${error.message})`);
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });

  const packs = {};
  const resources = {}; // "stack/logicalId" -> {pack: [applicable, compliant]}
  for (const packName of packNames) {
    const Pack = PACKS[packName];
    if (!Pack) continue; // not a public pack (the project's own is counted in Python)
    const pack = new Pack();
    const rules = {};
    // Replaces NagPack.applyRule for this instance: same rule id, every result recorded.
    pack.applyRule = function applyRule(params) {
      const ruleId = `${packName}-${params.ruleSuffixOverride || params.rule.name}`;
      const rule = (rules[ruleId] ??= {
        info: params.info,
        explanation: params.explanation,
        level: params.level,
        compliant: 0,
        not_applicable: 0,
        non_compliant: [],
        errors: [],
      });
      const [stack, logicalId] = resourceOf.get(params.node) || ["", params.node.node.path];
      const key = `${stack}/${logicalId}`;
      const counts = ((resources[key] ??= {})[packName] ??= [0, 0]);
      let result;
      try {
        result = params.rule(params.node);
      } catch (error) {
        rule.errors.push([stack, logicalId, String(error && error.message)]);
        counts[0] += 1;
        return;
      }
      const outcome = outcomeOf(result);
      if (outcome === "not_applicable") {
        rule.not_applicable += 1;
        return;
      }
      counts[0] += 1;
      if (outcome === "compliant") {
        rule.compliant += 1;
        counts[1] += 1;
      } else {
        rule.non_compliant.push([stack, logicalId, Array.isArray(result) ? result : []]);
      }
    };
    try {
      pack.validateScope(app);
    } catch (error) {
      errors.push(`${packName}: the pack failed (${error.message})`);
    }
    packs[packName] = rules;
  }
  process.stdout.write(
    JSON.stringify({
      versions: {
        "aws-cdk-lib (npm)": require("aws-cdk-lib/package.json").version,
        "cdk-nag (npm)": require("cdk-nag/package.json").version,
      },
      packs,
      resources,
      errors,
    }),
  );
}

main();
