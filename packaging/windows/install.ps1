<#
.SYNOPSIS
Installs the SysMon agent as the Windows service SysMonAgent (see docs/agent-windows.md).

.DESCRIPTION
  .\install.ps1 -Hub https://hub-a:5001,https://hub-b:5001 [-TokenFile FILE] [-Binary PATH]
                [-CaFile FILE | -HubFingerprint SHA256] [-AllowPlaintext] [-Tags A,B]
                [-WatchProcesses NAME,NAME] [-NoStart]
  .\install.ps1 -Uninstall [-Purge]

What it does: copies the binary to %ProgramFiles%\SysMon\sysmon-agent.exe, writes
%ProgramData%\SysMon\agent.json (kept if it exists, unless -Hub is given) and stores a token as agent.token
beside it, in a folder only SYSTEM and Administrators may open. It runs `sysmon-agent --check` so you see at
once whether the hubs accept the agent, then creates (or updates) the service SysMonAgent: automatic start,
restarted when it fails, run as LocalSystem, and starts it.

Run it from an elevated Windows PowerShell 5.1 or PowerShell 7 prompt. A downloaded script may first need
  Set-ExecutionPolicy -Scope Process Bypass
#>
# Written for Windows PowerShell 5.1 and kept ASCII-only: 5.1 reads a script without a byte order mark in the
# ANSI code page, where the bytes of a UTF-8 dash or quote turn into quote characters that end strings.
[CmdletBinding()]
param(
    # Arrays as well as comma-separated strings: PowerShell turns `-Hub a,b` (unquoted) into an array.
    [string[]]$Hub,
    [string]$TokenFile,
    [string]$CaFile,
    [string]$HubFingerprint,
    [switch]$AllowPlaintext,
    [string[]]$Tags,
    [string[]]$WatchProcesses,
    [string]$Binary,
    [switch]$NoStart,
    [switch]$Uninstall,
    [switch]$Purge
)

$ErrorActionPreference = 'Stop'

function Fail([string]$Message) {
    [Console]::Error.WriteLine("install.ps1: $Message")
    exit 1
}

$service = 'SysMonAgent'
# A 32-bit PowerShell on 64-bit Windows sees "Program Files (x86)" as ProgramFiles; the agent is a 64-bit program.
$programFiles = if ($env:ProgramW6432) { $env:ProgramW6432 } else { $env:ProgramFiles }
$programDir = Join-Path $programFiles 'SysMon'
$exe = Join-Path $programDir 'sysmon-agent.exe'
# The agent reads %ProgramData%\SysMon\agent.json when no --config is given, and keeps its machine id and
# enrollment credential in the same folder (docs/configuration.md, docs/security.md).
$dataDir = Join-Path $env:ProgramData 'SysMon'
$config = Join-Path $dataDir 'agent.json'
$token = Join-Path $dataDir 'agent.token'
$systemSid = 'S-1-5-18'
$administratorsSid = 'S-1-5-32-544'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    Fail 'run from an elevated prompt (Run as administrator)'
}
if ($Purge -and -not $Uninstall) { Fail '-Purge goes with -Uninstall' }

# With 'Stop', Windows PowerShell 5.1 turns a native program's stderr into a terminating error once a caller redirects
# it (install.ps1 2>&1 > log); the exit code says whether the program failed.
function Invoke-Native([string]$File, [string[]]$Arguments) {
    $ErrorActionPreference = 'Continue'
    & $File @Arguments | Out-Null
    if ($LASTEXITCODE -ne 0) { Fail "$File $($Arguments -join ' ') failed (exit code $LASTEXITCODE)" }
}

function Stop-Agent {
    $running = Get-CimInstance -ClassName Win32_Service -Filter "Name='$service'"
    if (-not $running) { return }
    if ($running.State -ne 'Stopped') { Stop-Service -Name $service -Force }
    # The SCM reports Stopped before the process has exited and let go of the .exe that is about to be replaced.
    if ($running.ProcessId) { Wait-Process -Id $running.ProcessId -Timeout 30 -ErrorAction SilentlyContinue }
}

# Only SYSTEM (the service) and Administrators: the folder holds the enrollment token, the credential the hub issues
# in exchange, and the settings. SIDs rather than names, which a localised Windows spells differently.
# Files created in the folder afterwards inherit this, so each is written new rather than copied with its own ACL.
function Protect-Folder([string]$Path) {
    Invoke-Native 'icacls.exe' @($Path, '/inheritance:r', '/grant:r', "*${systemSid}:(OI)(CI)F", "*${administratorsSid}:(OI)(CI)F")
}

function Assert-Private([string]$Path) {
    $acl = Get-Acl -LiteralPath $Path
    $others = @($acl.GetAccessRules($true, $true, [Security.Principal.SecurityIdentifier]) |
        Where-Object { $_.IdentityReference.Value -ne $systemSid -and $_.IdentityReference.Value -ne $administratorsSid })
    if ($others.Count -gt 0) {
        Fail "$Path is also open to $(($others | ForEach-Object { $_.IdentityReference.Value }) -join ', '); fix its ACL and run this again"
    }
}

# Written beside the target and renamed over it, so a reader never sees half a file.
function Write-Private([string]$Path, [byte[]]$Bytes) {
    [IO.File]::WriteAllBytes("$Path.new", $Bytes)
    Move-Item -LiteralPath "$Path.new" -Destination $Path -Force
    Assert-Private $Path
}

function Read-Input([string]$Path, [string]$What) {
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { Fail "cannot read the $What '$Path'" }
    # .NET resolves relative paths against the process's directory, not PowerShell's current location.
    # The comma keeps the bytes one array rather than a stream of single bytes.
    return , [IO.File]::ReadAllBytes((Resolve-Path -LiteralPath $Path).ProviderPath)
}

if ($Uninstall) {
    if (Get-Service -Name $service -ErrorAction SilentlyContinue) {
        Stop-Agent
        Invoke-Native 'sc.exe' @('delete', $service)
    }
    if (Test-Path -LiteralPath $programDir) { Remove-Item -LiteralPath $programDir -Recurse -Force }
    if ($Purge) {
        if (Test-Path -LiteralPath $dataDir) { Remove-Item -LiteralPath $dataDir -Recurse -Force }
        # The event log source the service registered when it first logged. Leaving it behind is harmless, so a
        # PowerShell without the EventLog API does not stop the uninstall.
        try {
            if ([Diagnostics.EventLog]::SourceExists($service)) { [Diagnostics.EventLog]::DeleteEventSource($service) }
        } catch {
            Write-Host "(the event log source $service was left in place: $($_.Exception.Message))"
        }
        Write-Host 'SysMon agent removed, with its settings and state.'
    } else {
        Write-Host "SysMon agent removed; settings kept in $dataDir (-Purge removes them)."
    }
    exit 0
}

# The binary: given, next to this script (a release archive), or this checkout's publish output.
$arch = if ($env:PROCESSOR_ARCHITEW6432) { $env:PROCESSOR_ARCHITEW6432 } else { $env:PROCESSOR_ARCHITECTURE }
$rid = if ($arch -eq 'ARM64') { 'win-arm64' } else { 'win-x64' }
$candidates = @($Binary, (Join-Path $PSScriptRoot 'sysmon-agent.exe'),
    (Join-Path $PSScriptRoot "..\..\artifacts\publish\sysmon-agent\$rid\sysmon-agent.exe"))
$source = $null
foreach ($candidate in $candidates) {
    if ($candidate -and (Test-Path -LiteralPath $candidate -PathType Leaf)) {
        $source = (Resolve-Path -LiteralPath $candidate).ProviderPath
        break
    }
}
if (-not $source) {
    Fail "no sysmon-agent binary: pass -Binary PATH, or build one with`n  dotnet publish src/Agent -c Release -p:PublishProfile=$rid"
}

# Every value is checked before anything is written. ConvertTo-Json escapes whatever it is given; these are the same
# rules as the Linux and macOS scripts, so one set of values installs on every platform. \z, not $: in .NET a $ also
# matches before a trailing newline.
$hubMessage = '-Hub takes comma-separated http:// or https:// URLs without quotes, backslashes, spaces or control characters'
$hubs = @($Hub | ForEach-Object { "$_".Split(',') } | ForEach-Object { $_.Trim(' ') } | Where-Object { $_ -ne '' })
foreach ($entry in $hubs) {
    if ($entry -cnotmatch '^https?://[^"\\\s\p{Cc}]+\z') { Fail $hubMessage }
}
if ($Hub -and $hubs.Count -eq 0) { Fail $hubMessage }
if ($HubFingerprint -cnotmatch '^[0-9A-Fa-f:]*\z') { Fail "-HubFingerprint takes the hub certificate's SHA-256 in hex" }
$tagList = ($Tags | ForEach-Object { "$_" }) -join ','
# The agent checks each tag at start (MachineTags); here the same characters as on Linux and macOS.
if ($tagList -cnotmatch '^[A-Za-z0-9._:=, -]*\z') {
    Fail "-Tags takes comma-separated tags of letters, digits, '.', '_', '-', ':' and '='"
}
$watchList = ($WatchProcesses | ForEach-Object { "$_" }) -join ','
if ($watchList -cmatch '["\\\p{Cc}]') {
    Fail '-WatchProcesses takes comma-separated process names without quotes, backslashes or control characters'
}
$tokenBytes = if ($TokenFile) { Read-Input $TokenFile 'token file' } else { $null }
$caBytes = if ($CaFile) { Read-Input $CaFile 'CA file' } else { $null }

# The running service holds its .exe open.
Stop-Agent
New-Item -ItemType Directory -Force -Path $programDir | Out-Null
if ($source -ne $exe) { Copy-Item -LiteralPath $source -Destination $exe -Force }

New-Item -ItemType Directory -Force -Path $dataDir | Out-Null
Protect-Folder $dataDir
Assert-Private $dataDir

if ($hubs.Count -gt 0 -or -not (Test-Path -LiteralPath $config)) {
    if ($hubs.Count -eq 0) { $hubs = @('http://localhost:5001') }
    $settings = [ordered]@{ HubUrl = [string[]]$hubs }
    # How the agent trusts https:// hubs, and whether plain http:// to other hosts is accepted (docs/security.md).
    if ($CaFile) {
        $caPath = Join-Path $dataDir 'hub-ca.pem'
        Write-Private $caPath $caBytes
        $settings.CaFile = $caPath
    }
    if ($HubFingerprint) { $settings.HubFingerprint = $HubFingerprint }
    if ($AllowPlaintext) { $settings.AllowPlaintext = $true }
    if ($tagList) { $settings.Tags = $tagList }
    if ($watchList) { $settings.WatchProcesses = $watchList }
    $settings.SampleIntervalMs = 1000
    $settings.TopProcesses = 10
    $settings.BufferSeconds = 900
    $settings.DisabledCollectors = [string[]]@()
    $settings.LogLevel = 'Information'
    # -InputObject, not the pipeline, which would unroll the lists; UTF-8 without the BOM Set-Content -Encoding UTF8 adds.
    $json = ConvertTo-Json -InputObject $settings -Depth 3
    $utf8 = New-Object Text.UTF8Encoding $false
    Write-Private $config $utf8.GetBytes($json)
}

if ($TokenFile) { Write-Private $token $tokenBytes }

Write-Host 'Checking that the hubs accept this agent:'
$checkArgs = @('--config', $config, '--check')
if (Test-Path -LiteralPath $token) { $checkArgs += @('--token-file', $token) }
& { $ErrorActionPreference = 'Continue'; & $exe @checkArgs }
if ($LASTEXITCODE -ne 0) {
    Write-Host '(the service is installed anyway; it keeps retrying, and keeps samples until a hub takes them)'
}

# The token file is named on the command line, not in agent.json, so that a token added later reaches a service whose
# settings file is kept as it is.
$binPath = '"{0}" --config "{1}"' -f $exe, $config
if (Test-Path -LiteralPath $token) { $binPath += (' --token-file "{0}"' -f $token) }
$description = "SysMon agent: streams this host's metrics to a SysMon hub"
$existing = Get-CimInstance -ClassName Win32_Service -Filter "Name='$service'"
if ($existing) {
    # Through the service API: sc.exe config would need the quoted path passed through Windows PowerShell's
    # native-argument quoting, which drops the inner quotes.
    $result = Invoke-CimMethod -InputObject $existing -MethodName Change -Arguments @{ PathName = $binPath }
    if ($result.ReturnValue -ne 0) { Fail "could not update the service $service (Win32_Service.Change returned $($result.ReturnValue))" }
    Set-Service -Name $service -StartupType Automatic -Description $description
} else {
    New-Service -Name $service -DisplayName 'SysMon agent' -BinaryPathName $binPath -StartupType Automatic `
        -Description $description | Out-Null
}
# Restart after 10 s, 10 s, then every 60 s; the count starts again after a day without failures. failureflag 1 also
# counts a stop with an error exit code, not only a crash.
Invoke-Native 'sc.exe' @('failure', $service, 'reset=', '86400', 'actions=', 'restart/10000/restart/10000/restart/60000')
Invoke-Native 'sc.exe' @('failureflag', $service, '1')

if ($NoStart) {
    Write-Host "Not started (-NoStart): Start-Service $service"
    exit 0
}
try {
    Start-Service -Name $service
} catch {
    Fail "the service did not start: $($_.Exception.Message) (its reasons are in the Application event log, source $service)"
}
Get-Service -Name $service | Format-Table -AutoSize Status, Name, StartType | Out-Host
