#include "cli/CompletionScript.h"

#include <map>
#include <set>

#include <fmt/format.h>

namespace ramp::cli {

namespace {

// What one command (path) accepts, flattened for the scripts.
struct Node {
  std::string key;                           // "ramp", "ramp release", "ramp release create"
  std::vector<std::string> subs;             // visible subcommand names
  std::vector<std::string> opts;             // every option name, own and global
  std::vector<std::string> takes;            // the options that take a value
  std::map<std::string, std::string> values;  // option -> "@envs" | "@services" | "@files" | "a b c"
  std::string positional;                    // values of the first positional argument (same forms)
};

// Names are plain words; anything else is left out rather than quoted.
bool plain(const std::string& w) {
  if (w.empty()) return false;
  for (char c : w) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_' || c == '.' || c == ':' || c == '@' || c == '/';
    if (!ok) return false;
  }
  return true;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& w : v) {
    if (!plain(w)) continue;
    out += (out.empty() ? "" : " ") + w;
  }
  return out;
}

// The choices of an option checked by CLI::IsMember: its type name reads
// "TEXT:{a,b,c}".
std::string choices(const CLI::Option* o) {
  std::string t = o->get_type_name();
  auto open = t.find('{');
  auto close = t.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> words;
  std::string w;
  for (size_t i = open + 1; i <= close; ++i) {
    if (t[i] == ',' || t[i] == '}') {
      if (!w.empty()) words.push_back(w);
      w.clear();
    } else if (t[i] != ' ') {
      w += t[i];
    }
  }
  return join(words);
}

std::string valueKind(const std::string& name) {
  static const std::set<std::string> envs{"--env", "-e", "--to", "-t"};
  static const std::set<std::string> services{"--service", "-s"};
  static const std::set<std::string> files{"-f",        "--file",     "--from",    "--key-file", "--tls-cert",
                                           "--tls-key", "--ca-cert",  "--home",    "--example",  "--dir"};
  if (envs.count(name)) return "@envs";
  if (services.count(name)) return "@services";
  if (files.count(name)) return "@files";
  return {};
}

std::vector<std::string> namesOf(const CLI::Option* o) {
  std::vector<std::string> n;
  for (const auto& l : o->get_lnames()) n.push_back("--" + l);
  for (const auto& s : o->get_snames()) n.push_back("-" + s);
  return n;
}

void addOption(Node& node, const CLI::Option* o) {
  std::string kind = choices(o);
  for (const auto& n : namesOf(o)) {
    node.opts.push_back(n);
    if (o->get_type_size() > 0) {
      node.takes.push_back(n);
      std::string k = kind.empty() ? valueKind(n) : kind;
      if (!k.empty()) node.values[n] = k;
    }
  }
}

void walk(const CLI::App* app, const std::string& key, const std::vector<const CLI::Option*>& globals,
          std::vector<Node>& out) {
  Node node;
  node.key = key;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    node.subs.push_back(sub->get_name());
  }
  bool positionalSeen = false;
  for (const CLI::Option* o : app->get_options([](const CLI::Option*) { return true; })) {
    if (o->nonpositional()) {
      addOption(node, o);
    } else if (!positionalSeen) {
      positionalSeen = true;
      std::string c = choices(o);
      std::string name = o->get_name();
      node.positional = !c.empty() ? c : name == "service" ? "@services" : name == "path" ? "@files" : "";
    }
  }
  for (const CLI::Option* g : globals) addOption(node, g);
  out.push_back(node);
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); })) {
    walk(sub, key + " " + sub->get_name(), globals, out);
  }
}

std::vector<Node> nodesOf(const CLI::App& app) {
  // Global options (main.cpp) are accepted after any command (fallthrough).
  std::vector<const CLI::Option*> globals;
  for (const CLI::Option* o : app.get_options([](const CLI::Option*) { return true; })) {
    if (!o->nonpositional() || o == app.get_help_ptr() || o == app.get_version_ptr()) continue;
    globals.push_back(o);
  }
  std::vector<Node> nodes;
  walk(&app, "ramp", globals, nodes);
  return nodes;
}

void pathsOf(const CLI::App* app, const std::string& prefix, std::vector<std::string>& out) {
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; })) {
    std::string p = prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name();
    out.push_back(p);
    pathsOf(sub, p, out);
  }
}

// The tables both scripts read: NAME=( [key]="words" ... ) in bash,
// NAME=( key "words" ... ) in zsh.
std::string tables(const std::vector<Node>& nodes, bool zsh) {
  auto entry = [zsh](const std::string& k, const std::string& v) {
    return zsh ? fmt::format("  \"{}\" \"{}\"\n", k, v) : fmt::format("  [\"{}\"]=\"{}\"\n", k, v);
  };
  std::string subs, opts, takes, values, pos;
  for (const auto& n : nodes) {
    subs += entry(n.key, join(n.subs));
    opts += entry(n.key, join(n.opts));
    takes += entry(n.key, join(n.takes));
    for (const auto& [opt, v] : n.values) values += entry(n.key + "|" + opt, v);
    if (!n.positional.empty()) pos += entry(n.key, n.positional);
  }
  std::string decl = zsh ? "typeset -gA" : "declare -gA";
  std::string out;
  for (auto [name, body] : {std::pair{"_ramp_subs", subs}, {"_ramp_opts", opts}, {"_ramp_takes", takes},
                            {"_ramp_values", values}, {"_ramp_positional", pos}}) {
    out += fmt::format("{} {}\n{}=(\n{})\n", decl, name, name, body);
  }
  return out;
}

// The walk over the words typed so far, shared by both scripts (it is valid
// bash and zsh): finds the command path, how many positional arguments were
// given, and skips option values.
const char* kWalk = R"SH(  local w i skip=0
  _ramp_cmd="ramp"; _ramp_npos=0
  for (( i = $1; i < $2; i++ )); do
    w="${_ramp_words[i]}"
    if (( skip )); then
      [[ "$w" == "=" ]] || skip=0
      continue
    fi
    case "$w" in
      --*=*) ;;
      "=") skip=1 ;;
      -*) [[ " ${_ramp_takes[$_ramp_cmd]} " == *" $w "* ]] && skip=1 ;;
      *) if [[ " ${_ramp_subs[$_ramp_cmd]} " == *" $w "* ]]; then
           _ramp_cmd="$_ramp_cmd $w"; _ramp_npos=0
         else
           (( _ramp_npos++ ))
         fi ;;
    esac
  done
)SH";

// The shell functions both scripts share: _ramp_dynamic asks this ramp for
// environment or service names (`ramp completion --list`), honouring a
// -f/--file already typed, and _ramp_walk (kWalk). Only the arrays differ:
// bash's words count from 0, zsh's from 1.
std::string dynamicAndWalk(bool zsh) {
  std::string s = zsh ? "\n" : "\n# Environment or service names from ./ramp.yaml (or the -f given), through ramp itself.\n";
  s += "_ramp_dynamic() {\n";
  s += zsh ? R"SH(  local bin="${_ramp_words[1]}" file="" i
  for (( i = 2; i <= ${#_ramp_words}; i++ )); do
)SH"
           : R"SH(  local bin="${_ramp_words[0]}" file="" i
  for (( i = 1; i < ${#_ramp_words[@]}; i++ )); do
)SH";
  s += R"SH(    case "${_ramp_words[i]}" in -f|--file) file="${_ramp_words[i+1]}" ;; esac
  done
  command "$bin" completion --list "$1" ${file:+--file} ${file:+"$file"} 2>/dev/null
}

_ramp_walk() {
)SH";
  s += kWalk;
  s += "}\n";
  return s;
}

// A whole script: its comment HEAD, the tables and shell functions both
// shells share, then its own completion function _ramp (COMPLETER).
std::string script(const CLI::App& app, bool zsh, const char* head, const char* completer) {
  return head + tables(nodesOf(app), zsh) + dynamicAndWalk(zsh) + completer;
}

}  // namespace

std::vector<std::string> CompletionScript::commandPaths(const CLI::App& app) {
  std::vector<std::string> out;
  pathsOf(&app, "", out);
  return out;
}

std::string CompletionScript::bash(const CLI::App& app) {
  return script(
      app, false,
      "# bash completion for ramp, generated by `ramp completion bash` from the commands of this binary.\n"
      "# Use: source <(ramp completion bash)   (or save it under ~/.local/share/bash-completion/completions/ramp)\n",
      R"SH(
_ramp() {
  local -a _ramp_words=("${COMP_WORDS[@]}")
  local cur="${COMP_WORDS[COMP_CWORD]}" prev="" spec="" _ramp_cmd _ramp_npos
  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"
  if [[ "$cur" == "=" ]]; then cur=""; prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
  if [[ "$prev" == "=" ]] && (( COMP_CWORD > 1 )); then prev="${COMP_WORDS[COMP_CWORD-2]}"; fi
  _ramp_walk 1 "$COMP_CWORD"
  COMPREPLY=()
  if [[ "$prev" == -* && " ${_ramp_takes[$_ramp_cmd]} " == *" $prev "* ]]; then
    local key="$_ramp_cmd|$prev"
    spec="${_ramp_values[$key]}"
  elif [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "${_ramp_opts[$_ramp_cmd]}" -- "$cur") )
    return 0
  else
    COMPREPLY=( $(compgen -W "${_ramp_subs[$_ramp_cmd]}" -- "$cur") )
    (( _ramp_npos == 0 )) && spec="${_ramp_positional[$_ramp_cmd]}"
  fi
  case "$spec" in
    "") ;;
    @files) COMPREPLY+=( $(compgen -f -- "$cur") ) ;;
    @*) COMPREPLY+=( $(compgen -W "$(_ramp_dynamic "${spec#@}")" -- "$cur") ) ;;
    *) COMPREPLY+=( $(compgen -W "$spec" -- "$cur") ) ;;
  esac
  return 0
}
complete -o default -F _ramp ramp
)SH");
}

std::string CompletionScript::zsh(const CLI::App& app) {
  return script(
      app, true,
      "#compdef ramp\n"
      "# zsh completion for ramp, generated by `ramp completion zsh` from the commands of this binary.\n"
      "# Use: source <(ramp completion zsh)  after compinit, or save it as _ramp in a directory of $fpath.\n",
      R"SH(
_ramp() {
  local -a _ramp_words cands
  _ramp_words=("${words[@]}")
  local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}" spec="" _ramp_cmd _ramp_npos
  _ramp_walk 2 "$CURRENT"
  if [[ "$prev" == -* && " ${_ramp_takes[$_ramp_cmd]} " == *" $prev "* ]]; then
    local key="$_ramp_cmd|$prev"
    spec="${_ramp_values[$key]}"
  elif [[ "$cur" == -* ]]; then
    cands=(${=_ramp_opts[$_ramp_cmd]})
    compadd -a cands
    return 0
  else
    cands=(${=_ramp_subs[$_ramp_cmd]})
    (( ${#cands} )) && compadd -a cands
    (( _ramp_npos == 0 )) && spec="${_ramp_positional[$_ramp_cmd]}"
  fi
  case "$spec" in
    "") ;;
    @files) _files ;;
    @*) cands=(${(f)"$(_ramp_dynamic "${spec#@}")"}); cands=(${cands:#}); (( ${#cands} )) && compadd -a cands ;;
    *) cands=(${=spec}); compadd -a cands ;;
  esac
  return 0
}

if [[ "${zsh_eval_context[-1]}" == loadautofunc ]]; then
  _ramp "$@"
else
  compdef _ramp ramp
fi
)SH");
}

}  // namespace ramp::cli
