// The echo provider's pictures of prompts (src/providers/echo_image.cc): deterministic SVG
// documents that hold the prompt as escaped text, whatever the prompt.
#include "providers/echo_image.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sy::providers::echo_image {
namespace {

// The texts of the <tspan> elements, as written (escaped).
std::vector<std::string> tspans(const std::string& svg) {
  std::vector<std::string> out;
  for (size_t at = svg.find("<tspan "); at != std::string::npos; at = svg.find("<tspan ", at + 1)) {
    size_t open = svg.find('>', at);
    size_t close = svg.find("</tspan>", open);
    out.push_back(svg.substr(open + 1, close - open - 1));
  }
  return out;
}

std::string unescape(std::string text) {
  const std::pair<std::string, std::string> entities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, ch] : entities)
    for (size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1))
      text.replace(at, entity.size(), ch);
  return text;
}

std::string without_spaces(std::string text) {
  std::erase_if(text, [](char c) { return c == ' ' || c == '\n' || c == '\r'; });
  return text;
}

// Every markup character of the document is ours: tags we write, entities we write, and no
// character XML cannot hold.
::testing::AssertionResult well_formed(const std::string& svg) {
  static const char* kTags[] = {"<svg ", "<rect ", "<text ", "<tspan ", "</tspan>", "</text>", "</svg>"};
  static const char* kEntities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
  auto starts = [&](size_t at, const char* s) { return svg.compare(at, std::char_traits<char>::length(s), s) == 0; };
  for (size_t i = 0; i < svg.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(svg[i]);
    if (c == '<' && std::none_of(std::begin(kTags), std::end(kTags), [&](const char* t) { return starts(i, t); }))
      return ::testing::AssertionFailure() << "a stray '<' at " << i << ": " << svg.substr(i, 20);
    if (c == '&' && std::none_of(std::begin(kEntities), std::end(kEntities), [&](const char* e) { return starts(i, e); }))
      return ::testing::AssertionFailure() << "a stray '&' at " << i;
    if (c < 0x20 && c != '\t') return ::testing::AssertionFailure() << "control character " << int(c) << " at " << i;
    if (starts(i, "\xEF\xBF\xBE") || starts(i, "\xEF\xBF\xBF")) return ::testing::AssertionFailure() << "U+FFFE/F at " << i;
  }
  if (svg.rfind("<svg ", 0) != 0 || svg.size() < 6 || svg.compare(svg.size() - 6, 6, "</svg>") != 0)
    return ::testing::AssertionFailure() << "not one svg element";
  return ::testing::AssertionSuccess();
}

std::string attribute(const std::string& svg, const std::string& name) {
  size_t at = svg.find(" " + name + "=\"");
  if (at == std::string::npos) return {};
  at += name.size() + 3;
  return svg.substr(at, svg.find('"', at) - at);
}

TEST(EchoImage, TheSamePromptGivesTheSameBytes) {
  std::string a = svg("A cute baby sea otter", "1024x1024");
  EXPECT_EQ(svg("A cute baby sea otter", "1024x1024"), a);
  EXPECT_NE(svg("A cute baby sea lion", "1024x1024"), a);
  EXPECT_NE(svg("A cute baby sea otter", "1024x1536"), a);
  EXPECT_TRUE(well_formed(a));
  EXPECT_EQ(tspans(a), (std::vector<std::string>{"A cute baby sea otter"}));
  // Different prompts get different colours, the same prompt always the same.
  std::string fill = attribute(a, "fill");
  EXPECT_EQ(fill.size(), 7u);
  EXPECT_EQ(fill[0], '#');
  EXPECT_NE(attribute(svg("A cute baby sea lion", "1024x1024"), "fill"), fill);
}

TEST(EchoImage, HostilePromptsStayText) {
  const std::string hostile =
      "</tspan></text><script>alert('x')</script><text>&amp; \"quoted\" & <!-- --> <![CDATA[ ]]> \x01\x1f\x7f "
      "\xEF\xBF\xBE\xEF\xBF\xBF\t end";
  std::string out = svg(hostile, "512x512");
  ASSERT_TRUE(well_formed(out)) << out;
  EXPECT_EQ(out.find("<script"), std::string::npos);
  std::string text;  // the lines joined, as written (a line ends at a space or inside a word)
  for (const auto& line : tspans(out)) text += line;
  EXPECT_NE(text.find("&lt;/tspan&gt;&lt;/text&gt;&lt;script&gt;alert(&#39;x&#39;)"), std::string::npos) << text;
  EXPECT_NE(text.find("&amp;amp;"), std::string::npos) << text;
  EXPECT_NE(text.find("&quot;quoted&quot;"), std::string::npos) << text;
  EXPECT_NE(text.find("&lt;!--"), std::string::npos) << text;
  EXPECT_NE(text.find("&lt;![CDATA[ ]]&gt;"), std::string::npos) << text;
  size_t replacements = 0;
  for (size_t at = text.find("\xEF\xBF\xBD"); at != std::string::npos; at = text.find("\xEF\xBF\xBD", at + 1)) ++replacements;
  EXPECT_EQ(replacements, 4u) << "control characters and U+FFFE/U+FFFF become U+FFFD";
  EXPECT_NE(text.find("\x7f"), std::string::npos) << "DEL is a character XML holds";
  EXPECT_NE(text.find("\t end"), std::string::npos);
}

TEST(EchoImage, EveryCharacterOfThePromptIsShown) {
  std::string prompt =
      "A watercolour map of an imaginary archipelago, with sea monsters in the margins, a compass rose "
      "in the corner, and the islands named in a looping copperplate hand: Verbena, Little Ossory, the "
      "Drowned Steeple, and a single enormous word, Unrepentantlyunpunctuatedcontinuousness.";
  std::string out = svg(prompt, "auto");
  ASSERT_TRUE(well_formed(out));
  std::vector<std::string> lines = tspans(out);
  EXPECT_GT(lines.size(), 3u);
  std::string joined;
  for (const auto& line : lines) joined += unescape(line);
  EXPECT_EQ(without_spaces(joined), without_spaces(prompt));
  EXPECT_EQ(attribute(out, "width"), "1024");
  EXPECT_EQ(attribute(out, "height"), "1024");
}

TEST(EchoImage, LineBreaksStartNewLines) {
  std::vector<std::string> lines = tspans(svg("first\nsecond\r\nthird\r\rfifth", "1024x1024"));
  EXPECT_EQ(lines, (std::vector<std::string>{"first", "second", "third", "", "fifth"}));
}

TEST(EchoImage, LongPromptsFitThePicture) {
  std::string prompt;
  while (prompt.size() < 32000) prompt += "otters ";
  std::string out = svg(prompt, "1024x1024");
  ASSERT_TRUE(well_formed(out));
  int font = std::stoi(attribute(out, "font-size"));
  EXPECT_GE(font, 1);
  std::vector<std::string> lines = tspans(out);
  size_t last = out.rfind("<tspan ");
  int last_y = std::stoi(attribute(out.substr(last), "y"));
  EXPECT_LE(last_y, 1024) << lines.size() << " lines at font " << font;
  EXPECT_GE(last_y - (int(lines.size()) - 1) * (font * 5 / 4), 0) << "the first line is inside too";
  std::string joined;
  for (const auto& line : lines) joined += line;
  EXPECT_EQ(without_spaces(joined), without_spaces(prompt));
}

TEST(EchoImage, Sizes) {
  std::string wide = svg("p", "1536x1024");
  EXPECT_EQ(attribute(wide, "width"), "1536");
  EXPECT_EQ(attribute(wide, "height"), "1024");
  EXPECT_EQ(attribute(wide, "viewBox"), "0 0 1536 1024");
  std::string clamped = svg("p", "99999x8");
  EXPECT_EQ(attribute(clamped, "width"), "4096");
  EXPECT_EQ(attribute(clamped, "height"), "16");
  EXPECT_EQ(attribute(svg("p", ""), "width"), "1024");
  EXPECT_EQ(attribute(svg("p", "junk"), "height"), "1024");
}

TEST(EchoImage, Base64) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(EchoImage, Answers) {
  model::Request r;
  r.kind = model::Kind::images;
  r.prompt = "a lighthouse at dawn";  // 20 characters: 5 tokens
  r.size = "256x256";
  r.sampling.n = 3;
  model::Answer a;
  answer(r, a);
  ASSERT_EQ(a.images.size(), 3u);
  EXPECT_EQ(a.images[0].b64, base64(svg(r.prompt, r.size)));
  EXPECT_EQ(a.images[0].media_type, "image/svg+xml");
  EXPECT_EQ(a.images[0].url, "");
  EXPECT_EQ(a.images[2].b64, a.images[0].b64);
  EXPECT_TRUE(a.usage.known);
  EXPECT_EQ(a.usage.prompt_tokens, 5);
  EXPECT_EQ(a.usage.completion_tokens, 0);
  EXPECT_EQ(a.usage.cost, 0);

  r.image_urls = true;
  r.sampling.n = 1;
  model::Answer urls;
  answer(r, urls);
  ASSERT_EQ(urls.images.size(), 1u);
  EXPECT_EQ(urls.images[0].url, "data:image/svg+xml;base64," + base64(svg(r.prompt, r.size)));
  EXPECT_EQ(urls.images[0].b64, "");
}

}  // namespace
}  // namespace sy::providers::echo_image
