using CrmEtl.Host.Instances;
using CrmEtl.Host.Scheduling;
using CrmEtl.Host.Sync;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;

namespace CrmEtl.Host.Web.Components;

/// <summary>What every signed-in page has: the session, and actions whose refusals become a message instead of a broken page.</summary>
public abstract class ConsolePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _disposed = new();

    [CascadingParameter] private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject] protected ISnackbar Snackbar { get; set; } = default!;

    protected ConsoleSession Session { get; private set; } = default!;

    /// <summary>Cancelled when the page goes away (the user navigated, or the circuit closed).</summary>
    protected CancellationToken PageGone => _disposed.Token;

    protected override async Task OnInitializedAsync()
    {
        Session = ConsoleSession.Of((await AuthenticationState).User) ?? throw new InvalidOperationException("The console page was rendered without a signed-in user.");
        await LoadAgainAsync();
    }

    protected abstract Task LoadAsync();

    /// <summary>
    /// Loads the page's data. When the page is left meanwhile, what it was waiting for is cancelled (a query, a scheduler
    /// transaction) and whatever that throws is of no interest: it must not break the user's circuit.
    /// </summary>
    protected async Task LoadAgainAsync()
    {
        try
        {
            await LoadAsync();
        }
        catch (Exception) when (PageGone.IsCancellationRequested)
        {
        }
    }

    /// <summary>Runs a change; what a person can fix (bad input, not allowed, busy) is shown as the error it is, and the page reloads.</summary>
    protected async Task<bool> ActAsync(Func<Task> action, string? done = null)
    {
        try
        {
            await action();
            if (done is not null) Snackbar.Add(done, Severity.Success);
            return true;
        }
        catch (Exception) when (PageGone.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is InstanceInputException or InstanceNotFoundException or ConsoleForbiddenException or InstanceBusyException
            or InstanceDisabledException or CrmEtl.Storage.Instances.DuplicateInstanceNameException or CrmEtl.Storage.Users.DuplicateConsoleUserException
            or CrmEtl.Core.Trello.TrelloException)
        {
            Snackbar.Add(e is InstanceInputException input ? string.Join(" ", input.Problems.Select(ConsoleFormat.FieldNames)) : e.Message, Severity.Error);
            return false;
        }
        finally
        {
            await LoadAgainAsync();
        }
    }

    // Cancelled, not disposed: work still finishing may look at the token.
    public void Dispose()
    {
        _disposed.Cancel();
        GC.SuppressFinalize(this);
    }
}
