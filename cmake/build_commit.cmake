# Writes OUT, a C++ source defining emnist::build_commit(): the commit the engine is being built
# from (HEAD of SOURCE_DIR, "-dirty" after it when tracked files differ from it), or "unknown"
# outside a git checkout. Run at every build; the file is rewritten only when its text changes,
# so an unchanged commit recompiles nothing.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE failed ERROR_QUIET)
if(failed OR NOT commit MATCHES "^[0-9a-f]+$")
  set(commit "unknown")
else()
  execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                  OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
  if(NOT changes STREQUAL "")
    string(APPEND commit "-dirty")
  endif()
endif()
set(text "// Generated at build time by cmake/build_commit.cmake.
namespace emnist {
const char* build_commit() { return \"${commit}\"; }
}  // namespace emnist
")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
