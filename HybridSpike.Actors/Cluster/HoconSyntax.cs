namespace HybridSpike.Actors.Cluster;

/// <summary>
/// The structure Akka's HOCON parser does not check: it accepts a '{' never closed (the keys after it end up inside
/// the object), drops whatever follows an extra '}', and reads an unclosed quote to the end of the line. A node file
/// with such a slip would start with settings nobody wrote, so it is refused with the line of the slip instead.
/// </summary>
internal static class HoconSyntax
{
    /// <summary>Null when every brace, bracket, substitution and quote of <paramref name="hocon"/> is closed; otherwise what is wrong, with its line.</summary>
    public static string? Problem(string hocon)
    {
        var open = new Stack<(char Opener, int Line)>();
        int line = 1;
        for (int i = 0; i < hocon.Length; i++)
        {
            char c = hocon[i];
            if (c == '\n') { line++; continue; }
            if (c == '#' || (c == '/' && At(hocon, i, "//")))
            {
                while (i + 1 < hocon.Length && hocon[i + 1] != '\n') i++;
                continue;
            }
            if (c == '"')
            {
                if (At(hocon, i, "\"\"\""))
                {
                    int start = line, end = hocon.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (end < 0) return $"line {start}: the \"\"\" string opened here is never closed";
                    for (int j = i; j < end; j++) if (hocon[j] == '\n') line++;
                    // A triple-quoted string ends at the last of a run of quotes ("""a"""" is a").
                    i = end + 2;
                    while (i + 1 < hocon.Length && hocon[i + 1] == '"') i++;
                    continue;
                }
                int k = i + 1;
                for (; k < hocon.Length && hocon[k] != '"' && hocon[k] != '\n'; k++)
                    if (hocon[k] == '\\') k++;
                if (k >= hocon.Length || hocon[k] != '"') return $"line {line}: the quoted string opened here is not closed on its line";
                i = k;
                continue;
            }
            if (c == '$' && At(hocon, i, "${")) { open.Push(('$', line)); i++; continue; }
            if (c is '{' or '[') { open.Push((c, line)); continue; }
            if (c is '}' or ']')
            {
                if (open.Count == 0) return $"line {line}: '{c}' closes nothing";
                var (opener, at) = open.Pop();
                char expected = opener == '[' ? ']' : '}';
                if (c != expected) return $"line {line}: '{c}' where the {Name(opener)} opened on line {at} needs '{expected}'";
            }
        }
        if (open.Count > 0)
        {
            var (opener, at) = open.Peek();
            return $"line {at}: the {Name(opener)} opened here is never closed";
        }
        return null;
    }

    private static bool At(string text, int i, string what) => string.CompareOrdinal(text, i, what, 0, what.Length) == 0;

    private static string Name(char opener) => opener switch { '{' => "'{'", '[' => "'['", _ => "'${'" };
}
