// Runs each JSON-line case of stdin through @cloud-copilot/iam-simulate (an
// outside, independently written IAM evaluator; AGPL, so it is only ever run
// as a separate program, never linked or copied) and prints one decision per
// line in IAM's EvalDecision spelling, or "error: ...".
// Usage: NODE_PATH=<dir>/node_modules node oracle.mjs < cases.jsonl
import { createRequire } from 'node:module'
import readline from 'node:readline'

const require = createRequire(process.env.ORACLE_MODULES + '/')
const { runSimulation, anonymousPrincipal } = require('@cloud-copilot/iam-simulate')

function principalOf(p) {
  switch (p.kind) {
    case 'user': return `arn:aws:iam::${p.account}:user/${p.name}`
    case 'session': return `arn:aws:sts::${p.account}:assumed-role/${p.role}/${p.name}`
    case 'root': return `arn:aws:iam::${p.account}:root`
    default: return anonymousPrincipal
  }
}

const names = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' }
const rl = readline.createInterface({ input: process.stdin })
for await (const line of rl) {
  if (!line.trim()) continue
  const c = JSON.parse(line)
  const context = {}
  for (const [k, v] of Object.entries(c.context)) context[k] = v.length === 1 ? v[0] : v
  const sim = {
    request: {
      principal: principalOf(c.principal),
      action: c.action,
      resource: { resource: c.resource, accountId: c.resource_account },
      contextVariables: context,
    },
    identityPolicies: c.identity.map((policy, i) => ({ name: `identity-${i}`, policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }
  if (c.resource_policy) sim.resourcePolicy = c.resource_policy
  try {
    const r = await runSimulation(sim, {})
    if (r.resultType === 'error') {
      console.log('error: ' + JSON.stringify(r.errors).slice(0, 300))
    } else {
      console.log(names[r.overallResult] ?? 'error: ' + r.overallResult)
    }
  } catch (e) {
    console.log('error: ' + String(e).slice(0, 300))
  }
}
