#!/usr/bin/env bash
# Installs the SysMon agent as a hardened systemd service (see docs/agent.md).
#
#   sudo ./install.sh --hub https://hub-a:5001,https://hub-b:5001 [--token-file FILE] [--binary PATH]
#                     [--ca-file FILE | --hub-fingerprint SHA256] [--allow-plaintext] [--tags A,B]
#                     [--watch-processes NAME,NAME]
#   sudo ./install.sh --uninstall [--purge]
#
# What it does: creates the system user sysmon-agent, installs the binary as /usr/local/bin/sysmon-agent,
# writes /etc/sysmon/agent.json (kept if it exists, unless --hub is given), stores a token as
# /etc/sysmon/agent.token (root-only; handed to the service as a systemd credential), installs and starts
# sysmon-agent.service, and runs `sysmon-agent --check` so you see at once whether the hubs accept it.
#
# --root DIR installs into DIR instead of / and touches neither users nor systemd (for packaging and tests).
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "install.sh: $*" >&2; exit 1; }

here=$(cd "$(dirname "$0")" && pwd)
root="" hub="" token_file="" binary="" uninstall=false purge=false start=true ca_file="" fingerprint="" plaintext=false tags="" watch=""
while (($#)); do
  case $1 in
    --hub) hub=${2:?--hub needs a value}; shift 2 ;;
    --token-file) token_file=${2:?--token-file needs a value}; shift 2 ;;
    --ca-file) ca_file=${2:?--ca-file needs a value}; shift 2 ;;
    --hub-fingerprint) fingerprint=${2:?--hub-fingerprint needs a value}; shift 2 ;;
    --allow-plaintext) plaintext=true; shift ;;
    --tags) tags=${2:?--tags needs a value}; shift 2 ;;
    --watch-processes) watch=${2:?--watch-processes needs a value}; shift 2 ;;
    --binary) binary=${2:?--binary needs a value}; shift 2 ;;
    --root) root=${2:?--root needs a value}; start=false; shift 2 ;;
    --no-start) start=false; shift ;;
    --uninstall) uninstall=true; shift ;;
    --purge) purge=true; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

[[ -n $root || $(id -u) -eq 0 ]] || die "run as root (sudo), or use --root DIR to stage the files"
root=${root%/}
bin=$root/usr/local/bin/sysmon-agent
etc=$root/etc/sysmon
unit_dir=$root/etc/systemd/system
systemd_here() { [[ -z $root ]] && command -v systemctl >/dev/null && [[ -d /run/systemd/system ]]; }

if $uninstall; then
  if systemd_here; then systemctl disable --now sysmon-agent.service 2>/dev/null || true; fi
  rm -rf "$unit_dir/sysmon-agent.service" "$unit_dir/sysmon-agent.service.d" "$bin"
  if systemd_here; then systemctl daemon-reload; fi
  if $purge; then
    rm -rf "$etc" "$root/var/lib/sysmon-agent"
    [[ -z $root ]] && id sysmon-agent >/dev/null 2>&1 && userdel sysmon-agent
  fi
  echo "SysMon agent removed$($purge && echo ', with its settings and state' || echo '; settings kept in /etc/sysmon (--purge removes them)')."
  exit 0
fi

# The binary: given, next to this script (a release archive), or this checkout's publish output.
arch=$(uname -m); case $arch in x86_64) rid=linux-x64 ;; aarch64|arm64) rid=linux-arm64 ;; *) rid=linux-$arch ;; esac
for candidate in "$binary" "$here/sysmon-agent" "$here/../../artifacts/publish/sysmon-agent/$rid/sysmon-agent"; do
  [[ -n $candidate && -f $candidate ]] && { binary=$candidate; break; }
done
[[ -n $binary && -f $binary ]] || die "no sysmon-agent binary: pass --binary PATH, or build one with
  dotnet publish src/Agent -c Release -p:PublishProfile=$rid"
[[ -z $token_file || -r $token_file ]] || die "cannot read the token file '$token_file'"
[[ -z $ca_file || -r $ca_file ]] || die "cannot read the CA file '$ca_file'"
[[ $fingerprint =~ ^[0-9A-Fa-f:]*$ ]] || die "--hub-fingerprint takes the hub certificate's SHA-256 in hex"
# The agent checks each tag at start (MachineTags); here only that nothing can break out of the JSON string.
[[ $tags =~ ^[A-Za-z0-9._:=,\ -]*$ ]] || die "--tags takes comma-separated tags of letters, digits, '.', '_', '-', ':' and '='"
# Likewise for process names (WatchedProcessNames): any text but quotes, backslashes and control characters.
watch_re='^[^"\[:cntrl:]]*$'
[[ $watch =~ $watch_re ]] || die "--watch-processes takes comma-separated process names without quotes, backslashes or control characters"

install -d -m 0755 "$root/usr/local/bin" "$unit_dir"
install -d -m 0755 "$etc"
install -m 0755 "$binary" "$bin.new" && mv -f "$bin.new" "$bin"

config=$etc/agent.json
if [[ -n $hub || ! -f $config ]]; then
  [[ -n $hub ]] || hub=http://localhost:5001
  # One JSON list entry per hub; hub URLs hold no quotes or backslashes (the agent rejects such URLs anyway).
  list=$(printf '%s' "$hub" | awk -F, '{for (i = 1; i <= NF; i++) { gsub(/^ +| +$/, "", $i); printf "%s\"%s\"", (i > 1 ? ", " : ""), $i }}')
  # How the agent trusts https:// hubs, and whether plain http:// to other hosts is accepted (docs/security.md).
  trust=""
  if [[ -n $ca_file ]]; then
    install -m 0644 "$ca_file" "$etc/hub-ca.pem"
    trust+=$'\n  "CaFile": "/etc/sysmon/hub-ca.pem",'
  fi
  [[ -n $fingerprint ]] && trust+=$'\n  "HubFingerprint": "'"$fingerprint"'",'
  $plaintext && trust+=$'\n  "AllowPlaintext": true,'
  [[ -n $tags ]] && trust+=$'\n  "Tags": "'"$tags"'",'
  [[ -n $watch ]] && trust+=$'\n  "WatchProcesses": "'"$watch"'",'
  cat >"$config.new" <<JSON
{
  "HubUrl": [$list],$trust
  "SampleIntervalMs": 1000,
  "TopProcesses": 10,
  "BufferSeconds": 900,
  "DisabledCollectors": [],
  "LogLevel": "Information"
}
JSON
  chmod 0644 "$config.new" && mv -f "$config.new" "$config"
fi

install -m 0644 "$here/sysmon-agent.service" "$unit_dir/sysmon-agent.service"
dropin=$unit_dir/sysmon-agent.service.d
if [[ -n $token_file ]]; then
  install -m 0600 "$token_file" "$etc/agent.token"
  install -d -m 0755 "$dropin"
  cat >"$dropin/token.conf" <<'UNIT'
# Written by install.sh: the token reaches the unprivileged service as a credential, never on its command line.
[Service]
LoadCredential=token:/etc/sysmon/agent.token
Environment=Agent__TokenFile=%d/token
UNIT
fi

if [[ -n $root ]]; then
  echo "Staged the SysMon agent under $root (no user created, systemd not touched)."
  exit 0
fi

id sysmon-agent >/dev/null 2>&1 ||
  useradd --system --user-group --no-create-home --home-dir /var/lib/sysmon-agent --shell /usr/sbin/nologin \
    --comment "SysMon agent" sysmon-agent

echo "Checking that the hubs accept this agent:"
check_args=(--config "$config" --check)
[[ -n $token_file ]] && check_args+=(--token-file "$etc/agent.token")
"$bin" "${check_args[@]}" || echo "(the service is installed anyway; it keeps retrying, and keeps samples until a hub takes them)"

if systemd_here; then
  systemctl daemon-reload
  if $start; then
    systemctl enable sysmon-agent.service
    systemctl restart sysmon-agent.service
    systemctl --no-pager --lines=5 status sysmon-agent.service || true
  fi
else
  echo "systemd is not running here: start $bin --config $config yourself, or under your service manager."
fi
