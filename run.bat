@echo off
rem SysMon on this Windows machine without Docker: a hub serving the dashboard, and an agent reporting this host.
rem
rem   run.bat                    hub + its built-in agent (one process), http://localhost:5000
rem   run.bat --agent-process    hub + the agent as its own process (as on a fleet's hosts)
rem   run.bat --port 8000        dashboard on 8000, agents' gRPC on 8001
rem
rem Close the window (or Ctrl+C) to stop it. Needs the .NET 10 SDK and Node.js 20+ (the dashboard is built by
rem the hub's build). The same as run.sh, less --redis (point ConnectionStrings__Redis at a Redis instead).
setlocal enableextensions
cd /d "%~dp0"

set "PORT=5000"
set "AGENT_PROCESS=0"
:args
if "%~1"=="" goto parsed
if /i "%~1"=="--port" (set "PORT=%~2" & shift & shift & goto args)
if /i "%~1"=="--agent-process" (set "AGENT_PROCESS=1" & shift & goto args)
echo run.bat: unknown option '%~1' 1>&2
exit /b 2
:parsed
set /a GRPC_PORT=%PORT%+1

where dotnet >nul 2>nul || (echo run.bat: the .NET 10 SDK is needed ^(https://dot.net^) 1>&2 & exit /b 1)
where npm >nul 2>nul || (echo run.bat: Node.js 20+ with npm is needed to build the dashboard 1>&2 & exit /b 1)

echo Building (Release; the first build takes a few minutes)...
dotnet build src\Hub -c Release --nologo -v quiet -clp:ErrorsOnly || exit /b 1
if "%AGENT_PROCESS%"=="1" (dotnet build src\Agent -c Release --nologo -v quiet -clp:ErrorsOnly || exit /b 1)

set "ASPNETCORE_ENVIRONMENT=Production"
set "Kestrel__Endpoints__Web__Url=http://localhost:%PORT%"
rem The agents' endpoint stays on loopback: only this machine's agent speaks to this hub.
set "Kestrel__Endpoints__Grpc__Url=http://127.0.0.1:%GRPC_PORT%"

if "%AGENT_PROCESS%"=="1" (
  rem Loopback only, so agent credentials are not asked for here; a hub other hosts reach keeps them required.
  set "EmbeddedAgent__Enabled=false"
  set "Security__AgentAuthentication=Off"
  start "SysMon agent" /b dotnet artifacts\bin\SysMon.Agent\release\sysmon-agent.dll --hub http://127.0.0.1:%GRPC_PORT% --state-dir "%CD%\.sysmon-data\agent"
)

echo SysMon: open http://localhost:%PORT% (Ctrl+C stops it).
dotnet artifacts\bin\SysMon.Hub\release\SysMon.Hub.dll --contentRoot "%CD%\artifacts\bin\SysMon.Hub\release"
