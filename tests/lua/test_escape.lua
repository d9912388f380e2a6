-- nnlab.notebook.escape under stock lua5.4: each format's escaping function
-- on the strings that broke reports (issue 13): line breaks, gnuplot's `!`
-- and backquotes, quotes, pipes, Markdown characters, spaces in file names.
-- tests/fuzz/fuzz_chart_text.lua checks the same properties on arbitrary bytes.
local T = require "testlib"
local escape = require "nnlab.notebook.escape"

T.case("line: line breaks and tabs become spaces, other control characters U+FFFD", function()
  T.eq(escape.line("a\nb\r\nc\td"), "a b  c d", "whitespace controls")
  T.eq(escape.line("a\0b\27c\127"), "a\u{FFFD}b\u{FFFD}c\u{FFFD}", "other controls")
  T.eq(escape.line("中文 ok"), "中文 ok", "UTF-8 kept")
  T.eq(escape.line(64), "64", "tostring")
end)

T.case("utf8: bytes that are not UTF-8 become U+FFFD in every format", function()
  local R = "\u{FFFD}"
  T.eq(escape.utf8("caf\xe9"), "caf" .. R, "a Latin-1 byte")
  T.eq(escape.utf8("\xff\xfe"), R .. R, "two stray bytes")
  T.eq(escape.utf8("lone\xed\xa0\x80"), "lone" .. R .. R .. R, "an encoded surrogate is not UTF-8")
  T.eq(escape.utf8("中文 ok\u{10FFFF}"), "中文 ok\u{10FFFF}", "valid UTF-8 kept as it is")
  T.eq(escape.utf8("\xc0\xaf\xf4\x90\x80\x80"), R:rep(6), "overlong and past U+10FFFF")
  T.eq(escape.utf8("a\xc3"), "a" .. R, "a sequence cut at the end")
  T.eq(escape.utf8("\xc3A\xc3\xa9"), R .. "A\u{e9}", "a lead byte before ASCII, then a valid one")
  T.eq(escape.utf8(""), "", "empty")
  T.eq(escape.utf8(("caf\xe9 "):rep(200000)), ("caf" .. R .. " "):rep(200000), "1 MB of Latin-1 text")
  T.eq(escape.line("a\xff\nb"), "a" .. R .. " b", "line")
  T.eq(escape.csv_field("x,\xff"), '"x,' .. R .. '"', "csv_field")
  T.eq(escape.md_text("\xffa"), escape.md_text(R .. "a"), "md_text")
  T.eq(require("nnlab.notebook.json").encode({ k = "a\xffb" }), '{"k": "a' .. R .. 'b"}', "json")
end)

T.case("gnuplot_string: single-quoted, quotes doubled, one line", function()
  T.eq(escape.gnuplot_string("it's"), "'it''s'", "quote doubled")
  T.eq(escape.gnuplot_string("zz\n!touch /tmp/x #"), "'zz !touch /tmp/x #'", "a line break cannot end the string")
  T.eq(escape.gnuplot_string("`id` \\n"), "'`id` \\n'", "backquotes and backslashes are inert in single quotes")
end)

T.case("gnuplot_tic_label: a gnuplot string whose % is doubled (tic labels are formats)", function()
  T.eq(escape.gnuplot_tic_label("50%"), "'50%%'", "percent doubled")
  T.eq(escape.gnuplot_tic_label("it's p%g"), "'it''s p%%g'", "and the quote")
end)

T.case("gnuplot_comment: one line, no trailing backslash to continue it", function()
  T.eq(escape.gnuplot_comment("zz\n1 99.5 0 1"), "zz 1 99.5 0 1", "a label adds no .dat row")
  T.eq(escape.gnuplot_comment("ends in \\"), "ends in \\ ", "trailing backslash")
end)

T.case("gnuplot_number: %.10g, NaN for every non-finite value", function()
  T.eq(escape.gnuplot_number(0.1), "0.1", "number")
  T.eq(escape.gnuplot_number(1 / 0), "NaN", "inf")
  T.eq(escape.gnuplot_number(0 / 0), "NaN", "nan")
  T.fails(function() escape.gnuplot_number(nil) end, "expected a number, got nil")
end)

T.case("md_text: Markdown characters are literal, and the text stays on one line", function()
  T.eq(escape.md_text("T\n# Raw heading"), "T \\# Raw heading", "no new block")
  T.eq(escape.md_text("*a* _b_ `c` [d](e) <f> a|b ~~g~~ $x$ &amp; \\"),
       "\\*a\\* \\_b\\_ \\`c\\` \\[d\\](e) \\<f\\> a\\|b \\~\\~g\\~\\~ \\$x\\$ \\&amp; \\\\", "inline characters")
  T.eq(escape.md_text("hidden=64, lr=0.1"), "hidden=64, lr=0.1", "plain labels read as they are")
  T.eq(escape.md_text("batch_size _x_ a__b"), "batch_size \\_x\\_ a\\_\\_b", "_ inside a word never emphasizes")
end)

T.case("md_code: a fence longer than any backtick run inside", function()
  T.eq(escape.md_code("lr"), "`lr`", "plain")
  T.eq(escape.md_code("a`b"), "``a`b``", "backtick inside")
  T.eq(escape.md_code("`a"), "`` `a ``", "leading backtick padded")
  T.eq(escape.md_code("a\nb"), "`a b`", "one line")
  T.eq(escape.md_code(""), "` `", "empty")
end)

T.case("md_cell: every unescaped pipe escaped, escape pairs kept whole", function()
  T.eq(escape.md_cell("`a|b`"), "`a\\|b`", "a pipe in a code span")
  T.eq(escape.md_cell(escape.md_text("a|b\\")), "a\\|b\\\\", "md_text output stays as it is")
  T.eq(escape.md_cell("**best**"), "**best**", "nnlab's own Markdown kept")
  T.eq(escape.md_cell("a\nb"), "a b", "one line")
end)

T.case("md_link: spaces, brackets and parentheses percent-encoded; slashes kept", function()
  T.eq(escape.md_link("my exp/fig1-test_acc-epoch.png"), "my%20exp/fig1-test_acc-epoch.png", "space")
  T.eq(escape.md_link("a(b)[c]<d>"), "a%28b%29%5Bc%5D%3Cd%3E", "brackets")
end)

T.case("file_name: only letters, digits, - and _", function()
  T.eq(escape.file_name("../x y\n'z"), "___x_y__z", "separators and quotes")
  T.eq(escape.file_name("batch_size"), "batch_size", "a plain name kept")
end)

T.case("csv_field: RFC 4180 quoting; false is false; numbers in full", function()
  T.eq(escape.csv_field(false), "false", "false is a value, not an empty cell")
  T.eq(escape.csv_field(true), "true", "true")
  T.eq(escape.csv_field(nil), "", "nil")
  T.eq(escape.csv_field(0.1), "0.1", "number")
  T.eq(escape.csv_field(0 / 0), "nan", "nan")
  T.eq(escape.csv_field('a,"b"'), '"a,""b"""', "comma and quotes")
  T.eq(escape.csv_field("a\rb"), '"a\rb"', "a carriage return is quoted")
  T.eq(escape.csv_field("plain"), "plain", "plain")
end)

T.done()
