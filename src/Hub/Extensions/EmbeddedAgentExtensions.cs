namespace SysMon.Hub.Extensions;

/// <summary>Runs the real agent inside the hub so its own host shows up with zero setup.</summary>
public static class EmbeddedAgentExtensions
{
    public static WebApplicationBuilder AddEmbeddedAgent(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<EmbeddedAgentOptions>().BindConfiguration(EmbeddedAgentOptions.SectionName);
        return builder;
    }
}
