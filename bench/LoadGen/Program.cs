using System.Text.Json;
using SysMon.LoadGen;

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var report = await new LoadRun(options).RunAsync();
// The last line of output is the result, for bench/load.sh to extend.
Console.WriteLine(JsonSerializer.Serialize(report));
return report.ContainsKey("fatal") ? 1 : 0;
