using System.Security.Cryptography;
using Backup.Api.Options;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace Backup.Api.Auth;

public static class ApiAuthentication
{
    /// <summary>
    /// JWT bearer tokens of the platform's authentication service: signature (JWKS from Auth:Authority, or the PEM
    /// keys of Auth:SigningKeyFiles), issuer, audience and lifetime checked; roles read from Auth:RoleClaim and
    /// mapped onto the reader, operator and admin policies. No token: 401; a token without the role: 403. The reader
    /// policy is also the fallback: an endpoint that names no policy and does not allow anonymous callers is a reader's.
    /// </summary>
    public static IHostApplicationBuilder AddApiAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<AuthOptions>>((jwt, auth) => Configure(jwt, auth.Value));
        var reader = new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireAssertion(context =>
            Holds(context, auth => [.. auth.EffectiveReaderRoles, .. auth.EffectiveOperatorRoles, .. auth.EffectiveAdminRoles])).Build();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(ApiRoles.Reader, reader)
            // Denied by default: an endpoint mapped without RequireAuthorization or AllowAnonymous needs a reader at least.
            .SetFallbackPolicy(reader)
            .AddPolicy(ApiRoles.Operator, policy => policy.RequireAuthenticatedUser().RequireAssertion(context =>
                Holds(context, auth => [.. auth.EffectiveOperatorRoles, .. auth.EffectiveAdminRoles])))
            .AddPolicy(ApiRoles.Admin, policy => policy.RequireAuthenticatedUser().RequireAssertion(context =>
                Holds(context, auth => auth.EffectiveAdminRoles)));
        return builder;
    }

    // Whether the caller's role claim holds one of the role names the Auth settings give this policy.
    static bool Holds(AuthorizationHandlerContext context, Func<AuthOptions, IReadOnlyList<string>> roles)
    {
        if ((context.Resource as HttpContext)?.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value is not { } auth) return false;
        return roles(auth).Any(role => context.User.HasClaim(auth.RoleClaim, role));
    }

    static void Configure(JwtBearerOptions jwt, AuthOptions auth)
    {
        jwt.MapInboundClaims = false;
        jwt.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = auth.ClockSkew,
            RoleClaimType = auth.RoleClaim,
            NameClaimType = "sub",
        };
        if (auth.Authority.Length > 0)
        {
            jwt.Authority = auth.Authority;
            jwt.RequireHttpsMetadata = true;
        }
        else
        {
            jwt.TokenValidationParameters.IssuerSigningKeys = auth.SigningKeyFiles.Select(ReadPublicKey).ToList();
        }
    }

    static SecurityKey ReadPublicKey(string path)
    {
        var pem = File.ReadAllText(path);
        try
        {
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa) { KeyId = Path.GetFileNameWithoutExtension(path) };
        }
        catch (ArgumentException)
        {
            var ec = ECDsa.Create();
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec) { KeyId = Path.GetFileNameWithoutExtension(path) };
        }
    }
}
