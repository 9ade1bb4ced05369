using System.CommandLine;
using CrmEtl.Core.Sync;
using CrmEtl.Host.Instances;
using CrmEtl.Host.Webhooks;
using CrmEtl.Storage.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace CrmEtl.Host.Cli;

/// <summary>crmetl webhooks: Pipedrive tells the worker about deal changes, so a sync (and its Trello cards) follows within a minute.</summary>
internal static class WebhookCommands
{
    public static Command Build()
    {
        var command = new Command("webhooks", "List the instances whose CRM sends webhooks: where to, how many came, the last one.");
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var hooks = await host.Services.GetRequiredService<WebhookStore>().ListAsync(ct2);
            if (hooks.Count == 0) Console.WriteLine("No webhooks yet. 'crmetl webhooks enable --instance NAME --url https://your-public-address' subscribes a Pipedrive instance.");
            foreach (var h in hooks)
                Console.WriteLine($"{h.Instance}: Pipedrive webhook {h.CrmWebhookId} → {h.SubscriptionUrl}  {h.Received} received" +
                    (h.LastReceivedAt is { } last ? $", the last {last:yyyy-MM-dd HH:mm:ss} UTC" : "") + (h.SyncDueAt is { } due ? $"; a sync is due at {due:HH:mm:ss} UTC" : ""));
            return ExitCodes.Ok;
        }, ct));
        command.Subcommands.Add(Enable());
        command.Subcommands.Add(Disable());
        return command;
    }

    private static Command Enable()
    {
        var instance = new Option<string>("--instance") { Description = "The Pipedrive instance (its name).", Required = true };
        var url = new Option<string>("--url") { Description = "The worker's public HTTPS address as Pipedrive reaches it (a TLS proxy in front of the worker), e.g. https://crmetl.example.com.", Required = true };
        var command = new Command("enable", "Subscribe to the instance's deal changes in Pipedrive (POST /v1/webhooks), with a user and password made for it.") { instance, url };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            try
            {
                var hook = await host.Services.GetRequiredService<WebhookSubscriptions>().EnableAsync(parse.GetValue(instance)!, parse.GetValue(url), Environment.UserName, ct2);
                Console.WriteLine($"Pipedrive sends {hook.Instance}'s deal changes to {hook.SubscriptionUrl} (webhook {hook.CrmWebhookId}, basic auth user {hook.AuthUser}).");
                Console.WriteLine("Each change syncs the instance within about Webhooks:Debounce (10 s) plus the run; the scheduled runs still catch what a lost webhook missed.");
                return ExitCodes.Ok;
            }
            catch (Exception e) when (e is ArgumentException or InstanceNotFoundException)
            {
                Console.Error.WriteLine(e.Message);
                return ExitCodes.BadInput;
            }
            catch (CrmAuthException e)
            {
                Console.Error.WriteLine(e.Message);
                return ExitCodes.AuthFailed;
            }
            catch (CrmException e)
            {
                Console.Error.WriteLine($"Pipedrive did not make the webhook: {e.Message}");
                return ExitCodes.Failed;
            }
        }, ct));
        return command;
    }

    private static Command Disable()
    {
        var instance = new Option<string>("--instance") { Description = "The instance (its name).", Required = true };
        var command = new Command("disable", "End the instance's webhook subscription in Pipedrive; its changes come with the scheduled runs.") { instance };
        command.SetAction((parse, ct) => CrmEtlCli.WithHost(async (host, ct2) =>
        {
            var ended = await host.Services.GetRequiredService<WebhookSubscriptions>().DisableAsync(parse.GetValue(instance)!, ct2);
            Console.WriteLine(ended ? $"{parse.GetValue(instance)} sends no more webhooks." : $"{parse.GetValue(instance)} had no webhook.");
            return ExitCodes.Ok;
        }, ct));
        return command;
    }
}
