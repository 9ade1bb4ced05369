namespace CrmEtl.Testing;

/// <summary>The checkout the tests were built from.</summary>
public static class Repository
{
    /// <summary>The folder with CrmEtl.sln, above the tests' build output.</summary>
    public static string Root
    {
        get
        {
            for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
                if (File.Exists(Path.Combine(folder.FullName, "CrmEtl.sln"))) return folder.FullName;
            throw new DirectoryNotFoundException($"No CrmEtl.sln above {AppContext.BaseDirectory}.");
        }
    }
}
