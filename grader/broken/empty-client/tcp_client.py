# Broken on purpose: handed in empty (the student never wrote it).
