using CrmEtl.Host.Cli;

// A stopping worker gets 10 s to put its run back in the queue (System.CommandLine's default is 2 s).
return await CrmEtlCli.Build().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(12) });
