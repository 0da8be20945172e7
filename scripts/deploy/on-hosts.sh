#!/usr/bin/env bash
# Runs one command on every app host of a stack, after copying the host bundles (dist/deploy/*.mjs)
# to /opt/marketplace/ there. Exits non-zero when the command fails on any host.
#   dev, pr-<n>: the one Lightsail host, over SSH (static IP from `pulumi stack output devHostIp`,
#                key in $DEPLOY_SSH_KEY).
#   prod:        the API instances (EC2 tag Name=<project>-prod-api), through SSM Run Command; the
#                bundles travel through the stack's artefact bucket ($DEPLOY_BUCKET).
# Usage: on-hosts.sh <stack> <command...>     e.g. on-hosts.sh prod node /opt/marketplace/migrate.mjs up
set -euo pipefail
stack="$1"; shift
command="$*"
project="svg-marketplace"
bundle_dir="${BUNDLE_DIR:-dist/deploy}"
remote_dir=/opt/marketplace
# The host's environment (DATABASE_URL, bucket names) lives in this file, written by the host's boot script.
remote="set -a; . /etc/marketplace/app.env; set +a; ${command}"

# Expanding on this side is the point for ssh: the paths and the quoted command are built here.
# shellcheck disable=SC2029
if [[ "$stack" == prod ]]; then
  : "${DEPLOY_BUCKET:?set DEPLOY_BUCKET to the artefact bucket of the stack}"
  prefix="s3://${DEPLOY_BUCKET}/deploy/${GITHUB_SHA:-manual}"
  aws s3 cp --recursive --quiet "$bundle_dir" "$prefix/"
  read -ra instances <<<"$(aws ec2 describe-instances \
    --filters "Name=tag:Name,Values=${project}-prod-api" "Name=instance-state-name,Values=running" \
    --query 'Reservations[].Instances[].InstanceId' --output text)"
  [[ ${#instances[@]} -gt 0 ]] || { echo "no running ${project}-prod-api instance" >&2; exit 1; }
  parameters=$(jq -n --arg fetch "mkdir -p $remote_dir && aws s3 cp --recursive --quiet $prefix/ $remote_dir/" --arg run "$remote" \
    '{commands: [$fetch, $run]}')
  command_id=$(aws ssm send-command --document-name AWS-RunShellScript --instance-ids "${instances[@]}" \
    --parameters "$parameters" --timeout-seconds 900 --query Command.CommandId --output text)
  status=0
  for instance in "${instances[@]}"; do
    aws ssm wait command-executed --command-id "$command_id" --instance-id "$instance" || true
    result=$(aws ssm get-command-invocation --command-id "$command_id" --instance-id "$instance" --output json)
    echo "--- $instance: $(jq -r .Status <<<"$result")"
    jq -r '.StandardOutputContent, .StandardErrorContent' <<<"$result"
    [[ "$(jq -r .Status <<<"$result")" == Success ]] || status=1
  done
  exit "$status"
else
  : "${DEPLOY_SSH_KEY:?set DEPLOY_SSH_KEY to the SSH private key of the host}"
  host=$(pulumi stack output devHostIp --stack "$stack")
  key=$(mktemp); trap 'rm -f "$key"' EXIT
  printf '%s\n' "$DEPLOY_SSH_KEY" > "$key"; chmod 600 "$key"
  ssh_opts=(-i "$key" -o StrictHostKeyChecking=accept-new -o ConnectTimeout=20)
  ssh "${ssh_opts[@]}" "ec2-user@$host" "sudo mkdir -p $remote_dir && sudo chown ec2-user $remote_dir"
  scp "${ssh_opts[@]}" "$bundle_dir"/*.mjs "ec2-user@$host:$remote_dir/"
  ssh "${ssh_opts[@]}" "ec2-user@$host" "sudo bash -c $(printf '%q' "$remote")"
fi
