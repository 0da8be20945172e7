#!/usr/bin/env bash
# Runs one host bundle (rotate.mjs or migrate.mjs from `npm run build:deploy`) on every app host of a
# stack, after copying the bundles there. Exits non-zero when it fails on any host.
#   dev shape (dev, pr-<n>): the one Lightsail host, over SSH with the key the stack generated, trusting
#                            only the host key Lightsail witnessed (scripts/deploy/host-key.ts). Before
#                            the bundle, the host's secret files (AWS key, the API's env file, PgBouncer's
#                            certificates and logins, a host database's password) are written from the stack's outputs
#                            (scripts/deploy/host-secrets.ts): unchanged files stay, a changed API
#                            env file restarts the API. `secrets` does only that (after a key rotation).
#   prod shape:              the API instances (EC2 tag Name=<apiInstanceName>), through SSM Run
#                            Command; the bundles travel through the stack's deploy bucket.
# Everything about the hosts comes from the stack's outputs; the layout below is infra/host-layout.ts's
# (test/infra/host-layout.test.ts checks they agree).
# Usage: on-hosts.sh <org/stack> rotate|migrate|secrets <arguments...>
#   e.g. on-hosts.sh acme/prod migrate up
#        on-hosts.sh acme/prod migrate logins
#        on-hosts.sh acme/dev rotate image --app api --repository <ecr uri> --tag <commit>
#        on-hosts.sh acme/dev secrets
set -euo pipefail
stack="$1"; bundle="$2"; shift 2
[[ "$bundle" == rotate || "$bundle" == migrate || "$bundle" == secrets ]] || { echo "unknown bundle \"$bundle\" (rotate, migrate or secrets)" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bundle_dir="${BUNDLE_DIR:-dist/deploy}"

# --- host layout (infra/host-layout.ts) ---
ssh_user=ec2-user
remote_dir=/opt/marketplace
host_node=/usr/bin/node-22
api_env_file=/etc/marketplace/api.env
deploy_prefix=deploy/
# ---

output() { pulumi stack output "$@" --stack "$stack"; }

# Migrations log in as the master user: the stack output databaseMigration holds the master URL without its
# password, where the host reads the password (prod: the secret RDS manages; dev: an SSM parameter) and each
# component's login with the parameter of its password (`migrate logins`). Names only, nothing secret.
# A stack deployed before it existed still has the master URL in the API's env file (Node parses it like Docker).
node_options=""
migrate_env=""
if [[ "$bundle" == migrate ]]; then
  if migration=$(output databaseMigration --json 2>/dev/null); then
    migrate_env=$(jq -r 'to_entries | map("\(.key)=\(.value | @sh)") | join(" ")' <<<"$migration")
  else
    node_options="--env-file=$api_env_file"
  fi
fi
# A host that this deploy's `pulumi up` just created may still be running its boot script.
remote="cloud-init status --wait >/dev/null || true; HOME=/root $migrate_env $host_node $node_options $remote_dir/$bundle.mjs $(printf '%q ' "$@")"

if [[ "$(output shape)" == prod ]]; then
  # Prod's instances read their secrets from SSM on every boot (infra/boot-scripts.ts).
  [[ "$bundle" == secrets ]] && { echo "prod hosts read their secrets from SSM at boot: nothing to write"; exit 0; }
  bucket=$(output deployBucket)
  instance_name=$(output apiInstanceName)
  prefix="s3://${bucket}/${deploy_prefix}${GITHUB_SHA:-manual-$(date +%s)}"
  aws s3 cp --recursive --quiet "$bundle_dir" "$prefix/"
  read -ra instances <<<"$(aws ec2 describe-instances \
    --filters "Name=tag:Name,Values=${instance_name}" "Name=instance-state-name,Values=running" \
    --query 'Reservations[].Instances[].InstanceId' --output text)"
  [[ ${#instances[@]} -gt 0 ]] || { echo "no running ${instance_name} instance" >&2; exit 1; }
  parameters=$(jq -n --arg fetch "mkdir -p $remote_dir && aws s3 cp --recursive --quiet $prefix/ $remote_dir/" --arg run "$remote" \
    '{commands: [$fetch, $run]}')
  command_id=$(aws ssm send-command --document-name AWS-RunShellScript --instance-ids "${instances[@]}" \
    --parameters "$parameters" --timeout-seconds 900 --query Command.CommandId --output text)
  status=0
  for instance in "${instances[@]}"; do
    aws ssm wait command-executed --command-id "$command_id" --instance-id "$instance" || true
    result=$(aws ssm get-command-invocation --command-id "$command_id" --instance-id "$instance" --output json)
    outcome=$(jq -r .Status <<<"$result")
    echo "--- $instance: $outcome"
    jq -r '.StandardOutputContent, .StandardErrorContent' <<<"$result"
    case "$outcome" in
      Success) ;;
      # An instance refresh (new imageTag) may retire an instance mid-command; its successor boots on the new tag.
      Terminated|Undeliverable) echo "$instance left the group during the command; skipped" ;;
      *) status=1 ;;
    esac
  done
  exit "$status"
else
  host=$(output devHostIp)
  instance=$(output devHostName)
  work=$(mktemp -d)
  # Port 22 is closed to the world (adminCidrs): open it for this runner's address only, close it on exit.
  runner_ip=$(curl --fail --silent --max-time 10 https://checkip.amazonaws.com | tr -d '[:space:]')
  ssh_port="fromPort=22,toPort=22,protocol=tcp,cidrs=${runner_ip}/32"
  aws lightsail open-instance-public-ports --instance-name "$instance" --port-info "$ssh_port" >/dev/null
  trap 'aws lightsail close-instance-public-ports --instance-name "$instance" --port-info "$ssh_port" >/dev/null || true; rm -rf "$work"' EXIT
  output devHostSshKey --show-secrets > "$work/key"; chmod 600 "$work/key"
  # Only the host key Lightsail witnessed on the instance is trusted (scripts/deploy/host-key.ts): anything
  # else answering on $host is refused before a secret is sent. A host just created may have none yet.
  npx --no-install tsx "$here/host-key.ts" --instance "$instance" --host "$host" --known-hosts "$work/known_hosts" --wait-seconds 300
  ssh_opts=(-i "$work/key" -o BatchMode=yes -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$work/known_hosts" -o ConnectTimeout=20)
  # A new host answers SSH a minute or two after `pulumi up` returns.
  for attempt in $(seq 30); do
    ssh "${ssh_opts[@]}" "$ssh_user@$host" true && break
    [[ "$attempt" -lt 30 ]] || { echo "no SSH answer from $host" >&2; exit 1; }
    sleep 10
  done
  # Expanding on this side is the point: the paths and the quoted command are built here.
  # shellcheck disable=SC2029
  ssh "${ssh_opts[@]}" "$ssh_user@$host" "cloud-init status --wait >/dev/null || true; sudo install -d -o $ssh_user -m 755 $remote_dir"
  # The secrets go from pulumi to the host through pipes only (no argument, no file on the runner).
  output --json --show-secrets | npx --no-install tsx "$here/host-secrets.ts" \
    --host "$host" --identity "$work/key" --known-hosts "$work/known_hosts"
  [[ "$bundle" == secrets ]] && exit 0
  scp "${ssh_opts[@]}" "$bundle_dir"/*.mjs "$ssh_user@$host:$remote_dir/"
  # shellcheck disable=SC2029
  ssh "${ssh_opts[@]}" "$ssh_user@$host" "sudo bash -c $(printf '%q' "$remote")"
fi
