# Shared by the benchmark scripts (sourced, not run).

# Replaces the lines of OUT between `<!-- NAME:begin` and `<!-- NAME:end` (both included) with
# the lines of REPORT (which carries its own markers). Returns 1, changing nothing, when OUT
# lacks either marker: the caller then writes OUT its own way.
replace_marked_section() {
    local name=$1 report=$2 out=$3
    if ! [[ -f $out ]] || ! grep -q "^<!-- $name:begin" "$out" || ! grep -q "^<!-- $name:end" "$out"; then
        return 1
    fi
    awk -v report="$report" -v begin="^<!-- $name:begin" -v end="^<!-- $name:end" '
        $0 ~ begin { while ((getline line < report) > 0) print line; skip = 1; next }
        $0 ~ end { skip = 0; next }
        !skip { print }' "$out" >"$out.tmp" && mv "$out.tmp" "$out"
}
