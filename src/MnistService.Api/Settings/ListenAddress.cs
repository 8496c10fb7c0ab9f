namespace MnistService.Api.Settings;

/// <summary>What Kestrel listens on, for the start-up report about a port in use or an address that is not valid.</summary>
/// <param name="Address">The configured address (or addresses, ';'-separated), or Kestrel's default.</param>
/// <param name="Port">The port, when there is one address.</param>
/// <param name="From">", from environment variable ASPNETCORE_URLS", or ", the default".</param>
/// <param name="Setting">The setting to change: the environment variable or argument that set it.</param>
/// <param name="Problem">What is wrong with the address, when Kestrel cannot use it.</param>
public sealed record ListenAddress(string Address, int? Port, string From, string Setting, string? Problem)
{
    /// <summary>
    /// The URLs the host hands Kestrel, by its rules: <c>urls</c> (';'-separated), else one
    /// <c>http://*:PORT</c> per <c>http_ports</c> entry and <c>https://*:PORT</c> per <c>https_ports</c>
    /// entry, else Kestrel's default.
    /// </summary>
    public static IReadOnlyList<string> Urls(IConfiguration configuration)
    {
        static string[] Split(string? value) => (value ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var urls = Split(configuration["urls"]);
        if (urls.Length > 0)
        {
            return urls;
        }
        string[] ports = [.. Split(configuration["http_ports"]).Select(p => $"http://*:{p}"), .. Split(configuration["https_ports"]).Select(p => $"https://*:{p}")];
        return ports.Length > 0 ? ports : ["http://localhost:5000"];
    }

    /// <summary>
    /// The address Kestrel listens on as it reads it (<c>urls</c>, else <c>http_ports</c>, else its default), where it
    /// was set (", from ..."), the setting to change, and what is wrong with it if it is not valid.
    /// </summary>
    public static ListenAddress Of(IConfiguration? configuration)
    {
        var source = configuration is null ? null : SettingSource.Find(configuration, "urls") ?? SettingSource.Find(configuration, "http_ports");
        var address = source is null ? "http://localhost:5000" : int.TryParse(source.Value, out var httpPort) ? $"http://*:{httpPort}" : source.Value;
        var setting = source switch
        {
            { EnvironmentVariable: { } variable } => variable,
            { FromCommandLine: true } => "--urls (or ASPNETCORE_URLS)",
            _ => "ASPNETCORE_URLS",
        };
        var from = source is null ? ", the default" : $", from {source.Description}";
        try
        {
            var ports = address.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(url => BindingAddress.Parse(url).Port).ToList();
            var invalid = ports.Cast<int?>().FirstOrDefault(port => port is < 0 or > 65535);
            return new ListenAddress(address, ports.Count == 1 ? ports[0] : null, from, setting, invalid is null ? null : $"port {invalid} is not between 0 and 65535");
        }
        catch (FormatException e)
        {
            return new ListenAddress(address, null, from, setting, e.Message.TrimEnd('.'));
        }
    }
}
