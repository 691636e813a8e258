# Writes the R-package sets of bench/tabular-sets.tsv to CSV files for the tabular benchmark (issue 28).
# Usage: Rscript bench/tabular-export.R <manifest.tsv> <output folder>. A file that exists is kept.
# Each file: the kept columns in the package's order, categorical ones as text, numbers with NA as an empty field, and
# the label (binary: 1 for the manifest's positive value, else 0; multiclass: the class as text).
args <- commandArgs(trailingOnly = TRUE)
manifest <- read.delim(args[1], comment.char = "#", colClasses = "character", quote = "")
out <- args[2]
dir.create(out, showWarnings = FALSE, recursive = TRUE)
D <- function(pkg, name) { e <- new.env(); data(list = name, package = pkg, envir = e); as.data.frame(e[[name]]) }
list_of <- function(value) if (value == "-") character(0) else strsplit(value, ",")[[1]]
for (i in seq_len(nrow(manifest))) {
  set <- manifest[i, ]
  if (startsWith(set$source, "data/")) next
  file <- file.path(out, paste0(set$name, ".csv"))
  if (file.exists(file)) next
  d <- as.data.frame(eval(parse(text = set$source)))
  label <- set$label
  d <- d[!is.na(d[[label]]), setdiff(names(d), list_of(set$drop)), drop = FALSE]
  cap <- as.integer(set$rowcap)
  if (cap > 0 && nrow(d) > cap) { set.seed(1); d <- d[sort(sample(nrow(d), cap)), , drop = FALSE] }
  categorical <- list_of(set$categorical)
  textual <- setdiff(names(d)[!sapply(d, function(x) is.numeric(x) || is.logical(x))], label)
  if (!setequal(textual, categorical))
    stop(set$name, ": non-numeric columns ", paste(textual, collapse = ","), " but categorical ", paste(categorical, collapse = ","))
  for (column in categorical) d[[column]] <- as.character(d[[column]])
  for (column in setdiff(names(d), c(categorical, label))) d[[column]] <- as.numeric(d[[column]])
  d[[label]] <- switch(set$task,
    binary = as.integer(as.character(d[[label]]) == set$positive),
    multiclass = as.character(d[[label]]),
    regression = as.numeric(d[[label]]))
  d <- d[, c(setdiff(names(d), label), label), drop = FALSE]
  write.csv(d, file, row.names = FALSE, na = "")
  cat(set$name, ": ", nrow(d), " rows, ", ncol(d) - 1, " columns\n", sep = "")
}
