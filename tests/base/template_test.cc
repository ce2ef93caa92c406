#include "base/template.h"

#include <gtest/gtest.h>

#include <map>

namespace sy {
namespace {

struct Fields {
  std::map<std::string, std::string, std::less<>> values;
  bool operator()(std::string_view name, std::string& out) const {
    auto it = values.find(name);
    if (it == values.end()) return false;
    out += it->second;
    return true;
  }
};

std::string rendered(std::string_view tmpl, const Fields& fields, bool expect_ok = true) {
  std::string out, missing;
  EXPECT_EQ(render_template(tmpl, fields, out, missing), expect_ok) << tmpl;
  return expect_ok ? out : missing;
}

TEST(Template, FillsPlaceholders) {
  Fields f{{{"source_language", "en"}, {"target_language", "es"}, {"text", "Hello"}}};
  EXPECT_EQ(rendered("Translate from {{source_language}} to {{target_language}}. Answer with the translation only.", f),
            "Translate from en to es. Answer with the translation only.");
  EXPECT_EQ(rendered("{{text}}", f), "Hello");
  EXPECT_EQ(rendered("{{text}}{{text}}", f), "HelloHello");
}

TEST(Template, SpacesAroundTheNameAreAllowed) {
  Fields f{{{"name", "Ada"}}};
  EXPECT_EQ(rendered("Hi {{ name }}!", f), "Hi Ada!");
  EXPECT_EQ(rendered("Hi {{name   }}!", f), "Hi Ada!");
}

TEST(Template, TextWithoutPlaceholdersIsCopied) {
  Fields f;
  EXPECT_EQ(rendered("", f), "");
  EXPECT_EQ(rendered("plain text", f), "plain text");
  EXPECT_EQ(rendered("an open {{ without a close", f), "an open {{ without a close");
  EXPECT_EQ(rendered("a close }} alone", f), "a close }} alone");
  EXPECT_EQ(rendered("{ {x} }", f), "{ {x} }");
}

TEST(Template, ValuesAreNotRenderedAgain) {
  Fields f{{{"a", "{{b}}"}, {"b", "no"}}};
  EXPECT_EQ(rendered("[{{a}}]", f), "[{{b}}]");
}

TEST(Template, TheFirstMissingNameIsReported) {
  Fields f{{{"name", "Ada"}}};
  EXPECT_EQ(rendered("{{name}} meets {{ friend }} and {{other}}", f, false), "friend");
  EXPECT_EQ(rendered("{{}}", f, false), "");
}

}  // namespace
}  // namespace sy
