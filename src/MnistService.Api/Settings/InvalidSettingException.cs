namespace MnistService.Api.Settings;

/// <summary>
/// A setting read outside the options system (a list entry, a listen address) that cannot be used; the
/// message names the key, the value and what is wrong, ready for the one-line start-up report.
/// </summary>
public sealed class InvalidSettingException(string message) : Exception(message);
