// ANCHOR: shown
struct Folder {
    files: u32,
    folders: Vec<Folder>,
}

async fn count_files(folder: &Folder) -> u32 {
    let mut total = folder.files;
    for sub in &folder.folders {
        total += count_files(sub).await;
    }
    total
}
// ANCHOR_END: shown
fn main() {}
