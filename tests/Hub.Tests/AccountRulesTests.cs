using SysMon.Hub.Accounts;
using Xunit;

namespace SysMon.Hub.Tests;

/// <summary>RFC 6238 and RFC 4648 test vectors, and the account rules.</summary>
public sealed class TotpTests
{
    // RFC 6238, appendix B: the SHA-1 key is the ASCII of "12345678901234567890"; the 6-digit code is the
    // 8-digit one's last six digits (both are the same number modulo 10^6).
    [Theory]
    [InlineData(59L, "287082")]
    [InlineData(1111111109L, "081804")]
    [InlineData(1111111111L, "050471")]
    [InlineData(1234567890L, "005924")]
    [InlineData(2000000000L, "279037")]
    [InlineData(20000000000L, "353130")]
    public void CodesMatchTheRfcVectors(long unixSeconds, string code) =>
        Assert.Equal(code, Totp.Code("12345678901234567890"u8.ToArray(), unixSeconds / Totp.StepSeconds));

    [Theory]
    [InlineData("", "")]
    [InlineData("f", "MY")]
    [InlineData("fo", "MZXQ")]
    [InlineData("foo", "MZXW6")]
    [InlineData("foob", "MZXW6YQ")]
    [InlineData("fooba", "MZXW6YTB")]
    [InlineData("foobar", "MZXW6YTBOI")]
    public void Base32MatchesRfc4648(string text, string base32)
    {
        Assert.Equal(base32, Base32.Encode(System.Text.Encoding.ASCII.GetBytes(text)));
        Assert.Equal(text, System.Text.Encoding.ASCII.GetString(Base32.Decode(base32.ToLowerInvariant() + "==")!));
    }

    [Fact]
    public void ACodeIsGoodWithinOneStepOfTheClockAndOnlyOnce()
    {
        var secret = Totp.NewSecret();
        var key = Base32.Decode(secret)!;
        var now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_015);
        var step = Totp.StepAt(now);

        Assert.Equal(step, Totp.Verify(secret, Totp.Code(key, step), now, 0));
        Assert.Equal(step - 1, Totp.Verify(secret, Totp.Code(key, step - 1), now, 0));   // a phone 30 s behind
        Assert.Equal(step + 1, Totp.Verify(secret, Totp.Code(key, step + 1), now, 0));   // or ahead
        Assert.Null(Totp.Verify(secret, Totp.Code(key, step - 2), now, 0));              // but no more
        Assert.Null(Totp.Verify(secret, Totp.Code(key, step), now, lastUsedStep: step)); // used already
        Assert.Null(Totp.Verify(secret, Totp.Code(key, step - 1), now, lastUsedStep: step)); // nor an older one
        Assert.Equal(step, Totp.Verify(secret, Totp.Code(key, step)[..3] + " " + Totp.Code(key, step)[3..], now, 0)); // "123 456" as apps show it
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("12345")]
    [InlineData("1234567")]
    [InlineData("12345a")]
    [InlineData("１２３４５６")] // full-width digits are not ASCII digits
    public void MalformedCodesAreRefused(string? code) =>
        Assert.Null(Totp.Verify(Totp.NewSecret(), code, DateTimeOffset.UtcNow, 0));

    [Fact]
    public void TheUriIsTheKeyUriFormatAuthenticatorAppsRead() =>
        Assert.Equal("otpauth://totp/SysMon:alice%40example.com?secret=ABC&issuer=SysMon&algorithm=SHA1&digits=6&period=30",
            Totp.Uri("ABC", "alice@example.com"));
}

public sealed class AccountRulesTests
{
    [Theory]
    [InlineData("alice", true)]
    [InlineData("a.b-c_d@example.com", true)]
    [InlineData("", false)]
    [InlineData("Alice", false)] // names are normalised to lower case before they are checked
    [InlineData("al ice", false)]
    [InlineData("alice:admin", false)]
    [InlineData("alice\n", false)]
    [InlineData("*", false)]
    public void NamesAreASafeAlphabet(string name, bool valid) => Assert.Equal(valid, AccountRules.IsValidName(name));

    [Fact]
    public void NamesCompareCaseInsensitively() => Assert.Equal("alice", AccountRules.Normalize("  Alice "));

    [Theory]
    [InlineData("short", "alice", "at least 10")]
    [InlineData("alice12345", "alice12345", "not be the user name")]
    [InlineData(null, "alice", "at least 10")]
    public void WeakPasswordsAreRefusedWithAReason(string? password, string name, string reason) =>
        Assert.Contains(reason, AccountRules.PasswordProblem(password, name), StringComparison.Ordinal);

    [Fact]
    public void LongPasswordsOfAnyCharactersAreFine()
    {
        Assert.Null(AccountRules.PasswordProblem("correct horse battery", "alice"));
        Assert.Null(AccountRules.PasswordProblem("пароль-пароль-🔑", "alice"));
        Assert.NotNull(AccountRules.PasswordProblem(new string('x', AccountRules.MaxPasswordLength + 1), "alice"));
    }

    [Fact]
    public void PasswordsAreHashedWithASaltAndVerified()
    {
        var hash = Passwords.Hash("correct horse battery");
        Assert.NotEqual(hash, Passwords.Hash("correct horse battery"));
        var user = new UserAccount { Name = "alice", Role = Role.Viewer, SecurityStamp = "s", PasswordHash = hash };
        Assert.True(Passwords.Verify(user, "correct horse battery").Ok);
        Assert.False(Passwords.Verify(user, "correct horse batterY").Ok);
        Assert.False(Passwords.Verify(null, "correct horse battery").Ok);
        Assert.False(Passwords.Verify(user with { PasswordHash = "" }, "").Ok); // a single-sign-on account has no password
    }

    [Theory]
    [InlineData("localhost", true)]
    [InlineData("LOCALHOST", true)]
    [InlineData("app.localhost", true)]
    [InlineData("127.0.0.1", true)]
    [InlineData("127.3.2.1", true)]
    [InlineData("[::1]", true)]
    [InlineData("localhost.attacker.example", false)]
    [InlineData("192.0.2.1", false)]
    [InlineData("hub.example.com", false)]
    [InlineData("", false)]
    public void OnlyLoopbackNamesAreThisHost(string host, bool loopback) => Assert.Equal(loopback, LocalAccess.IsLoopbackHost(host));

    [Fact]
    public void TheSetupCodeIsAcceptedInAnyCaseWithOrWithoutItsDash()
    {
        var firstRun = new FirstRun(new InMemoryUserStore(TimeProvider.System), TimeProvider.System);
        var code = firstRun.SetupCode;
        Assert.Matches("^[A-Z2-7]{5}-[A-Z2-7]{5}$", code);
        Assert.True(firstRun.IsSetupCode(code));
        Assert.True(firstRun.IsSetupCode(code.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal)));
        Assert.False(firstRun.IsSetupCode(code[..^1] + (code[^1] == 'A' ? 'B' : 'A')));
        Assert.False(firstRun.IsSetupCode(""));
        Assert.False(firstRun.IsSetupCode(null));
    }

    [Theory]
    [InlineData(new[] { " Prod ", "prod", "rack:4" }, new[] { "prod", "rack:4" })]
    [InlineData(new string[0], new string[0])]
    public void TagsAreCleanedToTheirCanonicalForm(string[] tags, string[] cleaned) => Assert.Equal(cleaned, AdminApi.CleanTags(tags));

    [Theory]
    [InlineData("a b")]
    [InlineData("<script>")]
    [InlineData("0123456789012345678901234567890123456789x")]
    public void InvalidTagsAreRefused(string tag) => Assert.Null(AdminApi.CleanTags([tag]));
}

public sealed class FirstRunNoticeTests
{
    [Theory]
    [InlineData("http://localhost:5000", "http://localhost:5000")]
    [InlineData("http://0.0.0.0:5000", "http://localhost:5000")]
    [InlineData("http://*:8080", "http://localhost:8080")]
    [InlineData("http://[::]:5000", "http://localhost:5000")]
    [InlineData("https://hub.example.com:443", "https://hub.example.com")]
    [InlineData(null, "http://localhost:5000")]
    public void TheSetupLinkIsTheWebEndpointAsABrowserHereOpensIt(string? endpoint, string url) =>
        Assert.Equal(url, SysMon.Hub.Accounts.FirstRunNotice.DashboardUrl(endpoint));
}

public sealed class SingleSignOnRulesTests
{
    private static System.Security.Claims.ClaimsPrincipal Claims(params (string Type, string Value)[] claims) =>
        new(new System.Security.Claims.ClaimsIdentity(claims.Select(c => new System.Security.Claims.Claim(c.Type, c.Value)), "test"));

    [Fact]
    public void TheNameComesFromTheNamedClaimThenEmailThenSubjectAndFollowsTheNameRule()
    {
        Assert.Equal("alice", SingleSignOn.NameFrom(Claims(("preferred_username", "Alice"), ("email", "a@x.org")), "preferred_username"));
        Assert.Equal("a@x.org", SingleSignOn.NameFrom(Claims(("email", "A@x.org"), ("sub", "123")), "preferred_username"));
        Assert.Equal("123", SingleSignOn.NameFrom(Claims(("sub", "123")), "preferred_username"));
        Assert.Equal("jane-doe-ops", SingleSignOn.NameFrom(Claims(("preferred_username", "Jane Doe/Ops")), "preferred_username"));
        Assert.Null(SingleSignOn.NameFrom(Claims(), "preferred_username"));
        Assert.Equal(64, SingleSignOn.NameFrom(Claims(("sub", new string('x', 100))), "preferred_username")!.Length);
    }

    [Fact]
    public void GroupsDecideTheRoleAndAnEmptyViewerListLetsEveryoneView()
    {
        var strict = new OidcOptions { AdminValues = ["ops-admins"], ViewerValues = ["ops"] };
        Assert.Equal(Role.Admin, SingleSignOn.RoleFrom(["ops", "ops-admins"], strict));
        Assert.Equal(Role.Viewer, SingleSignOn.RoleFrom(["ops"], strict));
        Assert.Null(SingleSignOn.RoleFrom(["finance"], strict));
        Assert.Null(SingleSignOn.RoleFrom([], strict));

        var open = new OidcOptions { AdminValues = ["ops-admins"] };
        Assert.Equal(Role.Viewer, SingleSignOn.RoleFrom([], open));
    }

    [Fact]
    public void ItIsOnOnlyWithAnAuthorityAndAClient()
    {
        Assert.False(new OidcOptions().Enabled);
        Assert.False(new OidcOptions { Authority = "https://id.example" }.Enabled);
        Assert.True(new OidcOptions { Authority = "https://id.example", ClientId = "sysmon" }.Enabled);
    }
}
