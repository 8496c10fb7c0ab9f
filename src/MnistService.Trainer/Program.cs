using MnistService.Trainer;
using Spectre.Console;

return await Cli.RunAsync(args, AnsiConsole.Console, Console.Out, Console.Error);
