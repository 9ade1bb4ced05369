using System.Globalization;
using System.Text;

namespace CrmEtl.Core.Expressions;

public enum TokenKind { Number, Name, QuotedName, Text, Symbol, End }

/// <summary>A lexical token and where it starts (1-based character position, for messages).</summary>
public sealed record Token(TokenKind Kind, string Value, int Position)
{
    public bool Is(string symbol) => Kind == TokenKind.Symbol && Value == symbol;
    public bool IsKeyword(string word) => Kind == TokenKind.Name && string.Equals(Value, word, StringComparison.OrdinalIgnoreCase);

    public override string ToString() => Kind switch
    {
        TokenKind.End => "the end",
        TokenKind.Text => $"'{Value}'",
        TokenKind.QuotedName => $"\"{Value}\"",
        _ => $"'{Value}'",
    };
}

/// <summary>An expression an admin wrote that cannot be read; the message says where and why.</summary>
public sealed class ExpressionException(string message) : Exception(message);

/// <summary>
/// Splits the small languages of calculated KPIs and filters into tokens: numbers, names
/// (<c>won</c>, or <c>"Quote given"</c> in double quotes), text in single quotes (<c>'Web'</c>,
/// doubled quotes escape) and the symbols <c>+ - * / ( ) , = != &lt;&gt;</c>.
/// </summary>
public static class Tokenizer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var start = i + 1;
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (char.IsAsciiDigit(c) || (c == '.' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                var end = i;
                while (end < text.Length && (char.IsAsciiDigit(text[end]) || text[end] == '.')) end++;
                var number = text[i..end];
                if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out _))
                    throw new ExpressionException($"'{number}' at character {start} is not a number.");
                tokens.Add(new Token(TokenKind.Number, number, start));
                i = end;
            }
            else if (char.IsLetter(c) || c == '_')
            {
                var end = i;
                while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_')) end++;
                tokens.Add(new Token(TokenKind.Name, text[i..end], start));
                i = end;
            }
            else if (c is '"' or '\'')
            {
                var (value, end) = Quoted(text, i);
                tokens.Add(new Token(c == '"' ? TokenKind.QuotedName : TokenKind.Text, value, start));
                i = end;
            }
            else if (c is '!' or '<' && i + 1 < text.Length && text[i + 1] is '=' or '>')
            {
                var symbol = text.Substring(i, 2);
                if (symbol is not ("!=" or "<>"))
                    throw new ExpressionException($"'{symbol}' at character {start} is not an operator; use = or !=.");
                tokens.Add(new Token(TokenKind.Symbol, "!=", start));
                i += 2;
            }
            else if ("+-*/(),=".Contains(c, StringComparison.Ordinal))
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(), start));
                i++;
            }
            else
            {
                throw new ExpressionException($"Unexpected character '{c}' at character {start}.");
            }
        }
        tokens.Add(new Token(TokenKind.End, "", text.Length + 1));
        return tokens;
    }

    private static (string Value, int End) Quoted(string text, int open)
    {
        var quote = text[open];
        var value = new StringBuilder();
        var i = open + 1;
        while (i < text.Length)
        {
            if (text[i] == quote)
            {
                if (i + 1 < text.Length && text[i + 1] == quote) { value.Append(quote); i += 2; continue; }
                return (value.ToString(), i + 1);
            }
            value.Append(text[i++]);
        }
        throw new ExpressionException($"The {(quote == '"' ? "name" : "text")} opened with {quote} at character {open + 1} is never closed.");
    }
}

/// <summary>Reads tokens one by one for a recursive-descent parser.</summary>
public sealed class TokenReader(List<Token> tokens)
{
    private int _next;
    public Token Peek => tokens[_next];
    public Token Take() => tokens[_next < tokens.Count - 1 ? _next++ : _next];

    public bool TakeIf(string symbol)
    {
        if (!Peek.Is(symbol)) return false;
        _next++;
        return true;
    }

    public bool TakeKeyword(string word)
    {
        if (!Peek.IsKeyword(word)) return false;
        _next++;
        return true;
    }

    public void Expect(string symbol, string what)
    {
        if (!TakeIf(symbol)) throw Unexpected(what);
    }

    public ExpressionException Unexpected(string expected) =>
        new($"Expected {expected} at character {Peek.Position}, found {Peek}.");
}
