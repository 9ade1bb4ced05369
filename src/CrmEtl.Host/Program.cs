using CrmEtl.Host.Cli;

return await CrmEtlCli.Build().Parse(args).InvokeAsync();
