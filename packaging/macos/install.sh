#!/usr/bin/env bash
# Installs the SysMon agent as a macOS LaunchDaemon (see docs/agent-macos.md).
#
#   sudo ./install.sh --hub https://hub-a:5001,https://hub-b:5001 [--token-file FILE] [--binary PATH]
#                     [--ca-file FILE | --hub-fingerprint SHA256] [--allow-plaintext] [--tags A,B]
#                     [--watch-processes NAME,NAME]
#   sudo ./install.sh --uninstall [--purge]
#
# What it does: installs the binary as /usr/local/sysmon/sysmon-agent, writes
# "/Library/Application Support/SysMon/agent.json" (kept if it exists, unless --hub is given), stores a token
# as agent.token beside it (root-only), runs `sysmon-agent --check` so you see at once whether the hubs accept
# it, and installs and starts the LaunchDaemon /Library/LaunchDaemons/io.sysmon.agent.plist.
#
# --root DIR installs into DIR instead of / and touches neither ownership nor launchd (for packaging and tests).
#
# Written for the bash 3.2 that macOS ships: no associative arrays, no ${var,,}, no mapfile, no empty arrays
# under set -u. Standalone on purpose (nothing sourced), so that it works as the one file a user downloads.
set -euo pipefail
# The staged tree may become a package, which takes its modes from the files: do not inherit the caller's umask.
umask 022

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
label=io.sysmon.agent
# *_path: where the daemon finds a file on the Mac, as written into the settings and the plist;
# the unsuffixed names are where this run writes it (under --root when staging).
bin_path=/usr/local/sysmon/sysmon-agent
support_path="/Library/Application Support/SysMon"
config_path=$support_path/agent.json
token_path=$support_path/agent.token
plist_path=/Library/LaunchDaemons/$label.plist
log_path=/Library/Logs/sysmon-agent.log
bin=$root$bin_path
support=$root$support_path
config=$root$config_path
token=$root$token_path
plist=$root$plist_path
launchd_here() { [[ -z $root ]] && command -v launchctl >/dev/null; }
# launchd ignores a daemon's plist unless root:wheel owns it, and the token must stay root's.
own() { [[ -n $root ]] || chown root:wheel "$@"; }

if $uninstall; then
  if launchd_here; then launchctl bootout "system/$label" 2>/dev/null || true; fi
  rm -rf "$plist" "$plist.new" "$root/usr/local/sysmon"
  if $purge; then
    rm -rf "$support" "$root$log_path"
    kept=', with its settings and state'
  else
    kept="; settings kept in $support_path (--purge removes them)"
  fi
  echo "SysMon agent removed$kept."
  exit 0
fi

# The binary: given, next to this script (a release archive), or this checkout's publish output.
arch=$(uname -m); case $arch in x86_64) rid=osx-x64 ;; arm64|aarch64) rid=osx-arm64 ;; *) rid=osx-$arch ;; esac
for candidate in "$binary" "$here/sysmon-agent" "$here/../../artifacts/publish/sysmon-agent/$rid/sysmon-agent"; do
  [[ -n $candidate && -f $candidate ]] && { binary=$candidate; break; }
done
[[ -n $binary && -f $binary ]] || die "no sysmon-agent binary: pass --binary PATH, or build one with
  dotnet publish src/Agent -c Release -p:PublishProfile=$rid"
[[ -z $token_file || -r $token_file ]] || die "cannot read the token file '$token_file'"
[[ -z $ca_file || -r $ca_file ]] || die "cannot read the CA file '$ca_file'"
# Patterns live in variables: bash 3.2 and 4+ disagree on quoted text inside a literal =~ pattern.
fingerprint_re='^[0-9A-Fa-f:]*$'
[[ $fingerprint =~ $fingerprint_re ]] || die "--hub-fingerprint takes the hub certificate's SHA-256 in hex"
# The agent checks each tag at start (MachineTags); here only that nothing can break out of the JSON string.
tags_re='^[A-Za-z0-9._:=, -]*$'
[[ $tags =~ $tags_re ]] || die "--tags takes comma-separated tags of letters, digits, '.', '_', '-', ':' and '='"
# Likewise for process names (WatchedProcessNames): any text but quotes, backslashes and control characters.
# A glob rather than a regex: a backslash inside a bracket expression means different things to different regex libraries.
case $watch in *[\"\\]* | *[[:cntrl:]]*)
  die "--watch-processes takes comma-separated process names without quotes, backslashes or control characters" ;;
esac
# Hubs as the agent reads them (split on commas, trimmed, empty entries skipped). The agent validates each URL at
# start; refused here is only what could break out of the JSON string, so a typo cannot corrupt the settings file.
hub_list=""
rest=$hub,
while [[ -n $rest ]]; do
  entry=${rest%%,*} rest=${rest#*,}
  entry=${entry#"${entry%%[! ]*}"} entry=${entry%"${entry##*[! ]}"}
  [[ -n $entry ]] || continue
  case $entry in
    http://?* | https://?*) ;;
    *) die "--hub takes comma-separated http:// or https:// URLs without quotes, backslashes, spaces or control characters" ;;
  esac
  case $entry in *[\"\\\ ]* | *[[:cntrl:]]*)
    die "--hub takes comma-separated http:// or https:// URLs without quotes, backslashes, spaces or control characters" ;;
  esac
  hub_list+="${hub_list:+, }\"$entry\""
done
[[ -z $hub || -n $hub_list ]] || die "--hub takes comma-separated http:// or https:// URLs without quotes, backslashes, spaces or control characters"

# System folders are only created when missing: install -d would also reset the mode of an existing one
# (/Library/Logs is group-writable for admin on a Mac).
for dir in "$root/Library/LaunchDaemons" "$root/Library/Logs"; do
  [[ -d $dir ]] || install -d -m 0755 "$dir"
done
install -d -m 0755 "$root/usr/local/sysmon" "$support"
own "$root/usr/local/sysmon" "$support"
install -m 0755 "$binary" "$bin.new" && own "$bin.new" && mv -f "$bin.new" "$bin"

if [[ -n $hub_list || ! -f $config ]]; then
  [[ -n $hub_list ]] || hub_list='"http://localhost:5001"'
  # How the agent trusts https:// hubs, and whether plain http:// to other hosts is accepted (docs/security.md).
  trust=""
  if [[ -n $ca_file ]]; then
    install -m 0644 "$ca_file" "$support/hub-ca.pem"
    own "$support/hub-ca.pem"
    trust+=$'\n  "CaFile": "'"$support_path/hub-ca.pem"'",'
  fi
  [[ -n $fingerprint ]] && trust+=$'\n  "HubFingerprint": "'"$fingerprint"'",'
  $plaintext && trust+=$'\n  "AllowPlaintext": true,'
  [[ -n $tags ]] && trust+=$'\n  "Tags": "'"$tags"'",'
  [[ -n $watch ]] && trust+=$'\n  "WatchProcesses": "'"$watch"'",'
  # Only the agent (root) reads its settings: created 0600 rather than narrowed afterwards.
  (umask 077 && cat >"$config.new" <<JSON
{
  "HubUrl": [$hub_list],$trust
  "SampleIntervalMs": 1000,
  "TopProcesses": 10,
  "BufferSeconds": 900,
  "DisabledCollectors": [],
  "LogLevel": "Information"
}
JSON
  )
  chmod 0600 "$config.new" && own "$config.new" && mv -f "$config.new" "$config"
fi

if [[ -n $token_file ]]; then
  install -m 0600 "$token_file" "$token.new" && own "$token.new" && mv -f "$token.new" "$token"
fi

# launchd starts the daemon with these arguments. The settings stay in agent.json; the state directory holds the
# credential the hub issues at enrollment (the Linux default /var/lib/sysmon-agent does not exist on a Mac).
args=("$bin_path" --config "$config_path" --state-dir "$support_path")
[[ -f $token ]] && args+=(--token-file "$token_path")

xml_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g' -e "s/'/\&apos;/g"; }
# Every value goes through here, even the fixed paths, so that no later edit can write a value that breaks the XML.
# XML 1.0 cannot carry control characters at all, escaped or not.
plist_string() {
  case $2 in *[[:cntrl:]]*) die "a control character cannot go into the LaunchDaemon's plist" ;; esac
  printf '%s<string>%s</string>\n' "$1" "$(xml_escape "$2")"
}
{
  cat <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by install.sh; running it again rewrites this file. -->
<plist version="1.0">
<dict>
  <key>Label</key>
XML
  plist_string '  ' "$label"
  echo '  <key>ProgramArguments</key>'
  echo '  <array>'
  for arg in "${args[@]}"; do plist_string '    ' "$arg"; done
  echo '  </array>'
  cat <<'XML'
  <key>RunAtLoad</key>
  <true/>
  <!-- Restart whenever it exits; launchd waits ThrottleInterval seconds between starts. -->
  <key>KeepAlive</key>
  <true/>
  <key>ThrottleInterval</key>
  <integer>10</integer>
  <!-- Keep the agent off the performance cores' way. -->
  <key>ProcessType</key>
  <string>Background</string>
  <key>StandardOutPath</key>
XML
  plist_string '  ' "$log_path"
  echo '  <key>StandardErrorPath</key>'
  plist_string '  ' "$log_path"
  echo '</dict>'
  echo '</plist>'
} >"$plist.new"
chmod 0644 "$plist.new"

if [[ -n $root ]]; then
  mv -f "$plist.new" "$plist"
  echo "Staged the SysMon agent under $root (ownership and launchd not touched)."
  exit 0
fi

own "$plist.new"
plutil -lint "$plist.new" >/dev/null || die "the LaunchDaemon plist written to $plist.new is not valid (plutil -lint)"
# A loaded daemon keeps the arguments it was loaded with: a changed plist needs bootout and bootstrap, not a restart.
plist_changed=true
cmp -s "$plist.new" "$plist" && plist_changed=false
mv -f "$plist.new" "$plist"

# Gatekeeper kills a downloaded (quarantined) or, on Apple silicon, an unsigned binary before it runs.
xattr -d com.apple.quarantine "$bin" 2>/dev/null || true
if ! codesign --verify "$bin" 2>/dev/null; then
  echo "$bin is not signed: signing it ad hoc (sign it with your Developer ID instead to distribute it)."
  codesign --sign - --force "$bin"
fi

echo "Checking that the hubs accept this agent:"
check_args=(--config "$config" --state-dir "$support" --check)
[[ -f $token ]] && check_args+=(--token-file "$token")
"$bin" "${check_args[@]}" || echo "(the service is installed anyway; it keeps retrying, and keeps samples until a hub takes them)"

if $start; then
  # A daemon disabled earlier (launchctl disable) would refuse to bootstrap.
  launchctl enable "system/$label"
  if launchctl print "system/$label" >/dev/null 2>&1 && ! $plist_changed; then
    launchctl kickstart -k "system/$label"
  else
    if launchctl print "system/$label" >/dev/null 2>&1; then
      launchctl bootout "system/$label" 2>/dev/null || true
      # bootout returns before launchd has let go of the label; bootstrapping too early fails with error 5.
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        launchctl print "system/$label" >/dev/null 2>&1 || break
        sleep 1
      done
    fi
    launchctl bootstrap system "$plist"
  fi
  launchctl print "system/$label" | sed -n '1,20p' || true
else
  echo "Not started (--no-start): sudo launchctl bootstrap system $plist"
fi
