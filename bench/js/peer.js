// The native limit: bench/peer_python.py's app in plain JavaScript (node, no TypeScript compile).
//
//   node bench/js/peer.js --services 40 --outdir bench/work/js-40 --result r.json [--no-validation] [--no-nag]
//
// Same stacks, constructs, props, feature flags and nag packs as the Python peer; the phases and
// counts it writes to --result have the same keys.
'use strict';

const START = process.hrtime.bigint();
const fs = require('fs');
const path = require('path');

const seconds = (from, to) => Number(to - from) / 1e9;

function parseArgs(argv) {
  const args = { validation: true, nag: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--services') args.services = Number(argv[++i]);
    else if (arg === '--outdir') args.outdir = argv[++i];
    else if (arg === '--result') args.result = argv[++i];
    else if (arg === '--no-validation') args.validation = false;
    else if (arg === '--no-nag') args.nag = false;
    else throw new Error(`unknown argument ${arg}`);
  }
  if (!Number.isInteger(args.services) || !args.outdir || !args.result) {
    throw new Error('usage: peer.js --services N --outdir DIR --result FILE');
  }
  return args;
}

const STAGING_ACCOUNT = '111111111111';
const PRODUCTION_ACCOUNT = '222222222222';
const REGION = 'eu-west-1';
const SECRETS = ['DATABASE_PASSWORD', 'API_KEY', 'SESSION_SECRET'];
const ROOT = path.resolve(__dirname, '..', '..');

function build(cdk, args) {
  const ec2 = cdk.aws_ec2;
  const ecr = cdk.aws_ecr;
  const ecs = cdk.aws_ecs;
  const ecsPatterns = cdk.aws_ecs_patterns;
  const s3 = cdk.aws_s3;
  const secretsmanager = cdk.aws_secretsmanager;
  const codebuild = cdk.aws_codebuild;
  const codepipeline = cdk.aws_codepipeline;
  const actions = cdk.aws_codepipeline_actions;

  const context = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf-8')).context;
  const app = new cdk.App({
    outdir: args.outdir,
    context,
    builtinCloudFormationValidation: args.validation,
  });
  const envs = {
    staging: { env: { account: STAGING_ACCOUNT, region: REGION }, cidr: '10.10.0.0/16' },
    production: { env: { account: PRODUCTION_ACCOUNT, region: REGION }, cidr: '10.20.0.0/16' },
  };
  const clusters = {};
  for (const [envName, { env, cidr }] of Object.entries(envs)) {
    const network = new cdk.Stack(app, `Network-${envName}`, { env });
    const vpc = new ec2.Vpc(network, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      availabilityZones: [`${REGION}a`, `${REGION}b`],
      natGateways: 1,
    });
    clusters[envName] = new ecs.Cluster(network, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
  }

  for (let index = 1; index <= args.services; index++) {
    const name = `svc${String(index).padStart(3, '0')}`;
    for (const [envName, { env }] of Object.entries(envs)) {
      const stack = new cdk.Stack(app, `${name}-${envName}`, { env });
      const repository = new ecr.Repository(stack, 'Repository', {
        repositoryName: name,
        imageScanOnPush: true,
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
      });
      const secrets = {};
      for (const secret of SECRETS) {
        secrets[secret] = ecs.Secret.fromSecretsManager(
          secretsmanager.Secret.fromSecretCompleteArn(
            stack,
            secret,
            `arn:aws:secretsmanager:${REGION}:${env.account}:secret:${name}/${secret.toLowerCase()}-AbCdEf`,
          ),
          'password',
        );
      }
      const service = new ecsPatterns.ApplicationLoadBalancedFargateService(stack, 'Service', {
        cluster: clusters[envName],
        cpu: 512,
        memoryLimitMiB: 1024,
        desiredCount: envName === 'staging' ? 1 : 2,
        runtimePlatform: {
          cpuArchitecture: ecs.CpuArchitecture.ARM64,
          operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        },
        taskImageOptions: {
          image: ecs.ContainerImage.fromEcrRepository(repository, 'latest'),
          containerPort: 8080,
          environment: { LOG_FORMAT: 'json', LOG_LEVEL: 'info' },
          secrets,
        },
        publicLoadBalancer: true,
        circuitBreaker: { rollback: true },
      });
      service.targetGroup.configureHealthCheck({ path: '/healthz' });
      const scaling = service.service.autoScaleTaskCount({ maxCapacity: 6 });
      scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60 });
      if (envName !== 'staging') continue;
      const bucket = new s3.Bucket(stack, 'Source', {
        versioned: true,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        encryption: s3.BucketEncryption.S3_MANAGED,
      });
      const project = new codebuild.PipelineProject(stack, 'Build', {
        environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: true },
      });
      repository.grantPullPush(project);
      const sourceOutput = new codepipeline.Artifact('Source');
      const buildOutput = new codepipeline.Artifact('Build');
      new codepipeline.Pipeline(stack, 'Pipeline', {
        pipelineType: codepipeline.PipelineType.V2,
        stages: [
          {
            stageName: 'Source',
            actions: [
              new actions.S3SourceAction({
                actionName: 'Source',
                bucket,
                bucketKey: 'source.zip',
                output: sourceOutput,
                trigger: actions.S3Trigger.NONE,
              }),
            ],
          },
          {
            stageName: 'Build',
            actions: [
              new actions.CodeBuildAction({
                actionName: 'Build',
                project,
                input: sourceOutput,
                outputs: [buildOutput],
              }),
            ],
          },
          {
            stageName: 'Staging',
            actions: [
              new actions.EcsDeployAction({
                actionName: 'Deploy',
                service: service.service,
                input: buildOutput,
              }),
            ],
          },
          {
            stageName: 'Approve',
            actions: [new actions.ManualApprovalAction({ actionName: 'Approve' })],
          },
        ],
      });
    }
  }

  if (args.nag) {
    const nag = require('cdk-nag');
    cdk.Validations.of(app).addPlugins(
      new nag.AwsSolutionsChecks(app),
      new nag.NIST80053R5Checks(app),
      new nag.HIPAASecurityChecks(app),
      new nag.PCIDSS321Checks(app),
    );
  }
  return app;
}

function counts(outdir) {
  const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  let resources = 0;
  for (const file of templates) {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf-8'));
    resources += Object.keys(template.Resources || {}).length;
  }
  const findings = {};
  const reportPath = path.join(outdir, 'validation-report.json');
  if (fs.existsSync(reportPath)) {
    const report = JSON.parse(fs.readFileSync(reportPath, 'utf-8'));
    for (const plugin of report.pluginReports || []) {
      findings[plugin.pluginName] = (plugin.violations || []).reduce(
        (sum, v) => sum + v.violatingConstructs.length,
        0,
      );
    }
  }
  return { templates: templates.length, resources, findings };
}

function main() {
  const args = parseArgs(process.argv.slice(2));
  const tImport = process.hrtime.bigint();
  const cdk = require('aws-cdk-lib');
  const tBuild = process.hrtime.bigint();
  const app = build(cdk, args);
  const tSynth = process.hrtime.bigint();
  let error = null;
  // A failed validation throws after printing its report; the time still counts.
  try {
    app.synth();
  } catch (e) {
    if (!String(e && e.message).includes('Validation failed') && !String(e).includes('ValidationFailed')) {
      throw e;
    }
    error = 'ValidationFailed';
  }
  const tEnd = process.hrtime.bigint();
  const result = {
    variant: 'peer_js',
    services: args.services,
    validation: args.validation,
    nag: args.nag,
    startup_s: seconds(START, tImport),
    import_s: seconds(tImport, tBuild),
    build_s: seconds(tBuild, tSynth),
    synth_s: seconds(tSynth, tEnd),
    ...counts(args.outdir),
    error,
  };
  fs.writeFileSync(args.result, JSON.stringify(result));
}

main();
